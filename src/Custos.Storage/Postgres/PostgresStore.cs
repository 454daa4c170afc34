using System.Data.Common;
using System.Net.Sockets;
using Custos.Core.Audit;
using Npgsql;
using NpgsqlTypes;

namespace Custos.Storage.Postgres;

/// <summary>
/// PostgreSQL backend for several Custos instances sharing one database. Appends serialise on a transaction-scoped
/// advisory lock and check the chain head inside it, so instances interleave batches without forking the chain.
/// A batch is one binary COPY inside that transaction; commit waits for the WAL flush (synchronous_commit on).
/// </summary>
public sealed class PostgresStore : RelationalStore
{
    // Arbitrary fixed keys for pg_advisory_lock: "custos" migrations, audit appends, changes to the administrators.
    private const long MigrationLockKey = 0x637573746f730001;
    private const long AuditLockKey = 0x637573746f730002;
    private const long AdministratorsLockKey = 0x637573746f730003;
    private readonly NpgsqlDataSource _dataSource;

    private PostgresStore(DatabaseLocation location, bool readOnly)
    {
        Location = location;
        var builder = new NpgsqlConnectionStringBuilder(location.ConnectionString);
        // Offline tools (verify, export) run in read-only sessions: they cannot write even by mistake.
        if (readOnly) builder.Options = (builder.Options + " -c default_transaction_read_only=on").Trim();
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public DatabaseLocation Location { get; }

    public override DatabaseEngine Engine => DatabaseEngine.Postgres;

    public static PostgresStore Open(DatabaseLocation location, bool readOnly = false) => new(location, readOnly);

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => await OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);

    private async Task<NpgsqlConnection> OpenNpgsqlAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(e);
        }
    }

    private StorageException Translate(Exception e)
    {
        if (e is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => new StorageException(StorageFailure.Configuration, $"database: {Location}: authentication failed ({pg.MessageText}); check PGPASSWORD or the passfile", e),
                "3D000" => new StorageException(StorageFailure.Configuration, $"database: {Location}: {pg.MessageText}", e),
                "57P03" or "53300" => new StorageException(StorageFailure.Unreachable, $"database: {Location}: {pg.MessageText}", e),
                _ => new StorageException(StorageFailure.Configuration, $"database: {Location}: {pg.MessageText}", e),
            };
        }
        return new StorageException(StorageFailure.Unreachable, $"database: {Location} is unreachable: {e.Message}", e);
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            // Session-level lock: a second instance waits here until the first has migrated.
            command.CommandText = "SELECT pg_advisory_lock(@key)";
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await MigrateLockedAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                command.CommandText = "SELECT pg_advisory_unlock(@key)";
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    private async Task MigrateLockedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) tables.Add(reader.GetString(0));
        if (tables.Count > 0 && !tables.Contains("custos_schema_migrations"))
            throw new StorageException(StorageFailure.Foreign,
                $"database: {Location} is not a Custos database (it has tables {string.Join(", ", tables.Take(5))}); refusing to touch it");
        await ApplyMigrationsAsync(command, Location.ToString(), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task CheckWritableAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'";
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                throw new StorageException(StorageFailure.Unreachable, $"database: {Location} is read-only (a standby or read-only transaction)");
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    public override async Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // One round trip for the lock and the head read (each round trip waits for both processes to be scheduled,
            // which under load costs as much as the insert).
            await using (var locked = new NpgsqlBatch(connection, transaction))
            {
                var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
                lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AuditLockKey });
                locked.BatchCommands.Add(lockCommand);
                locked.BatchCommands.Add(new NpgsqlBatchCommand(HeadSql));
                AuditHead head;
                await using (var reader = await locked.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    head = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                        ? new AuditHead(reader.GetInt64(0), (byte[])reader.GetValue(1))
                        : AuditHead.Empty;
                }
                batch.EnsureChainsOnto(head);
            }
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var events = batch.Events;
            var checkpoint = batch.Checkpoint;
            if (events.Count > 0) await CopyEventsAsync(connection, events, cancellationToken).ConfigureAwait(false);
            if (checkpoint is not null)
            {
                command.Parameters.Clear();
                command.CommandText = "INSERT INTO audit_checkpoints (seq, time_us, head_hash, signature, key_id) VALUES (@s, @t, @h, @sig, @k) ON CONFLICT (seq) DO NOTHING";
                command.Parameters.AddWithValue("s", checkpoint.Seq);
                command.Parameters.AddWithValue("t", ToMicros(checkpoint.Time));
                command.Parameters.AddWithValue("h", checkpoint.HeadHash);
                command.Parameters.AddWithValue("sig", checkpoint.Signature);
                command.Parameters.AddWithValue("k", checkpoint.KeyId);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>
    /// Writes the batch with binary COPY inside the append transaction (after the advisory lock and the head check):
    /// one message stream, no SQL parsing or array unpacking per row, values sent in their binary form.
    /// </summary>
    private static async Task CopyEventsAsync(NpgsqlConnection connection, IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyCommand, cancellationToken).ConfigureAwait(false);
        foreach (var e in events)
        {
            await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(e.Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(ToMicros(e.Time), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Type, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Actor.Kind, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Actor.Id, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Actor.Name, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Outcome.ToName(), cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Target, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Reason, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Source?.Ip, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Source?.UserAgent, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.RequestId, cancellationToken).ConfigureAwait(false);
            await WriteTextAsync(copy, e.Details, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(e.PrevHash, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(e.Hash, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
        }
        await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string CopyCommand = $"COPY audit_events ({EventColumns}) FROM STDIN (FORMAT BINARY)";

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    protected override async Task LockBootstrapTokensAsync(DbCommand command, CancellationToken cancellationToken)
    {
        // READ COMMITTED would let two instances each see no token and each insert one.
        command.CommandText = "LOCK TABLE bootstrap_tokens IN EXCLUSIVE MODE";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task LockAdministratorsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        // READ COMMITTED would let two transactions each see the other administrator still active and each remove one.
        command.Parameters.Clear();
        command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        Add(command, "key", AdministratorsLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    protected override StorageException? TranslateFailure(DbException exception) => exception switch
    {
        // Connection exceptions (class 08), shutdown or crash (57P0x), too many connections (53300).
        PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState == "53300" =>
            new StorageException(StorageFailure.Unreachable, $"database: {Location}: {pg.MessageText}", pg),
        PostgresException => null,
        // Not a server error: the connection broke or timed out.
        NpgsqlException e => Translate(e),
        _ => null,
    };

    public override async ValueTask DisposeAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);
}
