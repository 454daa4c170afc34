using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Custos.Core.Audit;
using Custos.Core.Bootstrap;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Core.Installation;

namespace Custos.Storage;

/// <summary>
/// Everything the SQLite and PostgreSQL stores share: one schema, the same parameterised SQL. Engine classes add
/// connection handling, migrations under a lock, and the bulk append path.
/// </summary>
public abstract partial class RelationalStore : IAuditStore, ISecretStore, ISettingStore, IBootstrapTokenStore, IIdentityStore, Custos.Core.Policy.IPolicyStore, IAsyncDisposable
{
    internal const string EventColumnList = EventColumns;

    protected const string EventColumns =
        "seq, time_us, type, actor_kind, actor_id, actor_name, outcome, target, reason, source_ip, source_user_agent, request_id, details, prev_hash, hash";

    public abstract DatabaseEngine Engine { get; }

    /// <summary>True when the provider's reads never block on the network (SQLite).</summary>
    protected virtual bool SynchronousReads => false;

    /// <summary>Opens a pooled connection for reads and small writes.</summary>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Creates or upgrades the schema under a lock; refuses foreign or newer databases.</summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Throws unless the database accepts writes now (for /readyz).</summary>
    public abstract Task CheckWritableAsync(CancellationToken cancellationToken);

    public abstract Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public async Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await ReadHeadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest event's seq and hash (no row: an empty log).</summary>
    protected const string HeadSql = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";

    protected static async Task<AuditHead> ReadHeadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        command.CommandText = HeadSql;
        command.Parameters.Clear();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return AuditHead.Empty;
        return new AuditHead(reader.GetInt64(0), (byte[])reader.GetValue(1));
    }

    public virtual async IAsyncEnumerable<AuditEvent> ReadAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(EventColumns).Append(" FROM audit_events WHERE seq > @after");
        Add(command, "after", query.AfterSeq);
        if (query.UpToSeq is { } upTo) { sql.Append(" AND seq <= @upto"); Add(command, "upto", upTo); }
        AppendFilters(sql, command, query, "");
        sql.Append(" ORDER BY seq");
        if (query.Limit is { } limit) { sql.Append(" LIMIT @limit"); Add(command, "limit", (long)limit); }
        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        // SQLite reads are synchronous underneath; skipping the async machinery per row doubles verify throughput.
        while (SynchronousReads ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return ReadEvent(reader);
    }

    /// <summary>
    /// Appends the query's filters (time, type, actor, target, outcome) as <c>AND</c> clauses on the columns of
    /// <paramref name="alias"/> (<c>""</c> or <c>"s."</c>): audit_events and SQLite's audit_search name them alike.
    /// </summary>
    protected static void AppendFilters(StringBuilder sql, DbCommand command, AuditQuery query, string alias)
    {
        if (query.Since is { } since) { sql.Append(" AND ").Append(alias).Append("time_us >= @since"); Add(command, "since", ToMicros(since)); }
        if (query.Until is { } until) { sql.Append(" AND ").Append(alias).Append("time_us < @until"); Add(command, "until", ToMicros(until)); }
        if (query.Type is { } type)
        {
            // "user.*" selects a family of types.
            if (type.EndsWith(".*", StringComparison.Ordinal))
            {
                sql.Append(" AND (").Append(alias).Append("type = @typeroot OR substr(").Append(alias).Append("type, 1, @typelen) = @typeprefix)");
                Add(command, "typeroot", type[..^2]);
                Add(command, "typeprefix", type[..^1]);
                Add(command, "typelen", type.Length - 1);
            }
            else
            {
                sql.Append(" AND ").Append(alias).Append("type = @type");
                Add(command, "type", type);
            }
        }
        if (query.Actor is { } actor)
        {
            sql.Append(" AND (").Append(alias).Append("actor_name = @actor OR ").Append(alias).Append("actor_id = @actor)");
            Add(command, "actor", actor);
        }
        if (query.Target is { } target) { sql.Append(" AND ").Append(alias).Append("target = @target"); Add(command, "target", target); }
        if (query.Outcome is { } outcome) { sql.Append(" AND ").Append(alias).Append("outcome = @outcome"); Add(command, "outcome", outcome.ToName()); }
    }

    /// <summary>Reads one row; columns strictly in order (readers use sequential access).</summary>
    protected static AuditEvent ReadEvent(DbDataReader r)
    {
        var seq = r.GetInt64(0);
        var time = FromMicros(r.GetInt64(1));
        var type = r.GetString(2);
        var actor = new AuditActor(r.GetString(3), r.GetString(4), r.GetString(5));
        if (!AuditOutcomeNames.TryParse(r.GetString(6), out var outcome))
            outcome = (AuditOutcome)(-1); // an unknown outcome cannot hash correctly; the verifier reports it
        var target = r.IsDBNull(7) ? null : r.GetString(7);
        var reason = r.IsDBNull(8) ? null : r.GetString(8);
        var ip = r.IsDBNull(9) ? null : r.GetString(9);
        var agent = r.IsDBNull(10) ? null : r.GetString(10);
        var requestId = r.IsDBNull(11) ? null : r.GetString(11);
        var details = r.GetString(12);
        var prevHash = (byte[])r.GetValue(13);
        var hash = (byte[])r.GetValue(14);
        return new AuditEvent(seq, time, type, actor, outcome, target, reason,
            ip is null && agent is null ? null : new AuditSource(ip, agent), requestId, details, prevHash, hash);
    }

    public async IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, time_us, head_hash, signature, key_id FROM audit_checkpoints ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return new AuditCheckpoint(reader.GetInt64(0), FromMicros(reader.GetInt64(1)), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3), reader.GetString(4));
    }

    // ---- settings ----

    public async Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM settings WHERE key = @key";
        Add(command, "key", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async Task<string> GetOrAddSettingAsync(string key, string value, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING";
        Add(command, "key", key);
        Add(command, "value", value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        command.CommandText = "SELECT value FROM settings WHERE key = @key";
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task SetSettingAsync(string key, string value, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        Add(command, "key", key);
        Add(command, "value", value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- secrets ----

    public async Task<SealedSecret?> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT wrapped_key, ciphertext FROM secrets WHERE name = @name";
        Add(command, "name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new SealedSecret((byte[])reader.GetValue(0), (byte[])reader.GetValue(1));
    }

    public async Task<bool> TryAddSecretAsync(string name, SealedSecret secret, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO secrets (name, wrapped_key, ciphertext, created_at_us) VALUES (@name, @wrapped, @ciphertext, @now) ON CONFLICT (name) DO NOTHING";
        Add(command, "name", name);
        Add(command, "wrapped", secret.WrappedKey);
        Add(command, "ciphertext", secret.Ciphertext);
        Add(command, "now", ToMicros(DateTimeOffset.UtcNow));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    // ---- bootstrap tokens ----

    public async Task ReplaceBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        await LockBootstrapTokensAsync(command, cancellationToken).ConfigureAwait(false);
        command.CommandText = "DELETE FROM bootstrap_tokens WHERE used_at_us IS NULL";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        command.CommandText = "INSERT INTO bootstrap_tokens (id, token_hash, created_at_us, expires_at_us) VALUES (@id, @hash, @created, @expires)";
        Add(command, "id", token.Id);
        Add(command, "hash", token.TokenHash);
        Add(command, "created", ToMicros(token.CreatedAt));
        Add(command, "expires", ToMicros(token.ExpiresAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores the installation's first bootstrap token unless a token was ever stored. Atomic across instances: of
    /// several instances starting at once on one database, exactly one gets true.
    /// </summary>
    public async Task<bool> TryAddFirstBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        await LockBootstrapTokensAsync(command, cancellationToken).ConfigureAwait(false);
        command.CommandText = "INSERT INTO bootstrap_tokens (id, token_hash, created_at_us, expires_at_us) " +
            "SELECT @id, @hash, @created, @expires WHERE NOT EXISTS (SELECT 1 FROM bootstrap_tokens)";
        Add(command, "id", token.Id);
        Add(command, "hash", token.TokenHash);
        Add(command, "created", ToMicros(token.CreatedAt));
        Add(command, "expires", ToMicros(token.ExpiresAt));
        var inserted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted;
    }

    /// <summary>
    /// Serialises changes to the bootstrap tokens between instances, inside the caller's transaction. SQLite write
    /// transactions (BEGIN IMMEDIATE) already exclude each other; PostgreSQL locks the table.
    /// </summary>
    protected virtual Task LockBootstrapTokensAsync(DbCommand command, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<IReadOnlyList<BootstrapTokenRecord>> ListBootstrapTokensAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, token_hash, created_at_us, expires_at_us, used_at_us FROM bootstrap_tokens ORDER BY created_at_us";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<BootstrapTokenRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new BootstrapTokenRecord(reader.GetString(0), (byte[])reader.GetValue(1), FromMicros(reader.GetInt64(2)),
                FromMicros(reader.GetInt64(3)), reader.IsDBNull(4) ? null : FromMicros(reader.GetInt64(4))));
        return list;
    }

    public async Task<bool> TryConsumeBootstrapTokenAsync(string id, DateTimeOffset usedAt, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE bootstrap_tokens SET used_at_us = @used WHERE id = @id AND used_at_us IS NULL AND expires_at_us > @used";
        Add(command, "id", id);
        Add(command, "used", ToMicros(usedAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    // ---- helpers ----

    protected static void Add(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    public static long ToMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero);

    private static (int Version, string Name, string Sql)[] LoadMigrations(string engineFolder)
    {
        var assembly = typeof(RelationalStore).Assembly;
        var prefix = $"Custos.Storage.Migrations.{engineFolder}.";
        var migrations = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var file = resource[prefix.Length..];
            var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add((version, file, reader.ReadToEnd()));
        }
        return [.. migrations];
    }

    private static readonly Lazy<IReadOnlyList<(int Version, string Name, string Sql)>> SqliteMigrations = new(() => LoadMigrations("Sqlite"));
    private static readonly Lazy<IReadOnlyList<(int Version, string Name, string Sql)>> PostgresMigrations = new(() => LoadMigrations("Postgres"));

    private IReadOnlyList<(int Version, string Name, string Sql)> Migrations =>
        (Engine == DatabaseEngine.Sqlite ? SqliteMigrations : PostgresMigrations).Value;

    /// <summary>
    /// The schema version recorded in the database, for offline tools that never migrate. A database that is not
    /// Custos's (no migrations table) or not a database at all fails with the driver's <see cref="DbException"/>.
    /// </summary>
    public async Task<int> ReadSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM custos_schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The newest schema version this build knows.</summary>
    public int KnownSchemaVersion => Migrations[^1].Version;

    /// <summary>
    /// Applies the missing migrations inside the caller's transaction (which holds the engine's migration lock, and
    /// on which the caller has already refused a foreign database). Refuses a schema newer than this build knows.
    /// </summary>
    protected async Task ApplyMigrationsAsync(DbCommand command, string location, CancellationToken cancellationToken)
    {
        command.Parameters.Clear();
        command.CommandText = "CREATE TABLE IF NOT EXISTS custos_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at_us bigint NOT NULL)";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM custos_schema_migrations";
        var current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (current > KnownSchemaVersion)
            throw new StorageException(StorageFailure.TooNew,
                $"database: {location} has schema version {current}, newer than this Custos knows ({KnownSchemaVersion}); upgrade Custos");
        foreach (var (version, name, sql) in Migrations.Where(m => m.Version > current))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            command.CommandText = "INSERT INTO custos_schema_migrations (version, name, applied_at_us) VALUES (@v, @n, @t)";
            Add(command, "v", version);
            Add(command, "n", name);
            Add(command, "t", ToMicros(DateTimeOffset.UtcNow));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            command.Parameters.Clear();
        }
    }
}
