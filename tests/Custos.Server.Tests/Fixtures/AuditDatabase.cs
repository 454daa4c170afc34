using System.Data.Common;
using Custos.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Custos.Server.Tests.Fixtures;

/// <summary>One audit event row as stored, read straight from the database (not through Custos).</summary>
public sealed record EventRow(long Seq, long TimeUs, string Type, string ActorKind, string ActorId, string ActorName, string Outcome,
    string? Target, string Details, byte[] PrevHash, byte[] Hash)
{
    public string Head => $"{Seq}:{Convert.ToHexStringLower(Hash)}";
}

public sealed record CheckpointRow(long Seq, byte[] HeadHash, string KeyId);

/// <summary>
/// Direct SQL access to a Custos database on either engine, as an operator or an attacker with database access has it:
/// the tests read rows to check what Custos stored, and tamper with them to check that verification notices.
/// </summary>
public sealed class AuditDatabase
{
    private readonly string _connectionString;

    private AuditDatabase(DatabaseEngine engine, string connectionString, string url)
    {
        Engine = engine;
        _connectionString = connectionString;
        Url = url;
    }

    public DatabaseEngine Engine { get; }

    /// <summary>What <c>--database</c> takes: the SQLite file path or a postgres:// URL.</summary>
    public string Url { get; }

    public static AuditDatabase Sqlite(string path) =>
        new(DatabaseEngine.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString(), path);

    public static AuditDatabase Postgres(string connectionString, string url) => new(DatabaseEngine.Postgres, connectionString, url);

    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Engine == DatabaseEngine.Sqlite ? new SqliteConnection(_connectionString) : new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>What an attacker with write access does first: removes the append-only triggers.</summary>
    public Task RemoveAppendOnlyGuardAsync() => ExecuteAsync(Engine == DatabaseEngine.Sqlite
        ? "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
        : "ALTER TABLE audit_events DISABLE TRIGGER ALL;");

    public async Task<IReadOnlyList<EventRow>> EventsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT seq, time_us, type, actor_kind, actor_id, actor_name, outcome, target, details, prev_hash, hash FROM audit_events ORDER BY seq";
        await using var r = await command.ExecuteReaderAsync();
        var rows = new List<EventRow>();
        while (await r.ReadAsync())
        {
            rows.Add(new EventRow(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
                r.IsDBNull(7) ? null : r.GetString(7), r.GetString(8), (byte[])r.GetValue(9), (byte[])r.GetValue(10)));
        }
        return rows;
    }

    public async Task<IReadOnlyList<CheckpointRow>> CheckpointsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, head_hash, key_id FROM audit_checkpoints ORDER BY seq";
        await using var r = await command.ExecuteReaderAsync();
        var rows = new List<CheckpointRow>();
        while (await r.ReadAsync()) rows.Add(new CheckpointRow(r.GetInt64(0), (byte[])r.GetValue(1), r.GetString(2)));
        return rows;
    }

    /// <summary>The installation's audit public key (ed25519:BASE64) as stored in its settings.</summary>
    public async Task<string> AuditPublicKeyAsync() =>
        (string)(await ScalarAsync("SELECT value FROM settings WHERE key = 'audit.public_key'")
            ?? throw new InvalidOperationException("no audit.public_key setting"));

    /// <summary>
    /// An independent copy to tamper with: the SQLite file (with its WAL) copied into <paramref name="directory"/>
    /// (as <paramref name="fileName"/>), or a PostgreSQL database created from this one as a template.
    /// </summary>
    public async Task<AuditDatabase> CloneAsync(string directory, string? fileName = null)
    {
        if (Engine == DatabaseEngine.Sqlite)
        {
            var target = Path.Combine(directory, fileName ?? "clone-" + Guid.NewGuid().ToString("n")[..8] + ".db");
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(Url + suffix)) File.Copy(Url + suffix, target + suffix);
            }
            return Sqlite(target);
        }
        var builder = new NpgsqlConnectionStringBuilder(_connectionString);
        var source = builder.Database!;
        var name = source + "_c" + Guid.NewGuid().ToString("n")[..8];
        builder.Database = "postgres";
        builder.Pooling = false;
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name} TEMPLATE {source}";
            await command.ExecuteNonQueryAsync();
        }
        builder.Database = name;
        var url = Url[..(Url.LastIndexOf('/') + 1)] + name;
        return Postgres(builder.ConnectionString, url);
    }
}
