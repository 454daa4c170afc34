using System.Data.Common;
using Custos.Core.Audit;
using Microsoft.Data.Sqlite;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is fsync'd before it
/// is acknowledged. Audit appends go through one dedicated connection with prepared statements; reads use pooled
/// connections and never block the writer. The audit search index is filled after the commit (SqliteStore.Search.cs).
/// </summary>
public sealed partial class SqliteStore : RelationalStore
{
    private const int SqliteNotADatabase = 26;
    private const int SqliteCorrupt = 11;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerLock = new(1, 1);
    private SqliteConnection? _writer;
    private EventInsert? _insertEvent;

    private SqliteStore(string path, bool readOnly)
    {
        Path = path;
        ReadOnly = readOnly;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public bool ReadOnly { get; }

    public override DatabaseEngine Engine => DatabaseEngine.Sqlite;

    protected override bool SynchronousReads => true;

    /// <summary>Opens (and with <paramref name="readOnly"/> false, creates) the database file.</summary>
    public static SqliteStore Open(string path, bool readOnly = false)
    {
        if (readOnly && !File.Exists(path))
            throw new StorageException(StorageFailure.Configuration, $"database: {path} does not exist");
        return new SqliteStore(path, readOnly);
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);

    private async Task<SqliteConnection> OpenSqliteAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON;";
            pragma.ExecuteNonQuery();
            if (!ReadOnly) DeferCheckpoints(connection);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Translate(e);
        }
    }

    private StorageException Translate(SqliteException e) => e.SqliteErrorCode switch
    {
        SqliteNotADatabase => new StorageException(StorageFailure.Foreign, $"database: {Path} is not a SQLite database (corrupt or foreign file)", e),
        SqliteCorrupt => new StorageException(StorageFailure.Foreign, $"database: {Path} is corrupt: {e.Message}", e),
        _ => new StorageException(StorageFailure.Configuration, $"database: {Path}: {e.Message}", e),
    };

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey };

    protected override StorageException? TranslateFailure(DbException exception) => exception is SqliteException e
        ? e.SqliteErrorCode switch
        {
            SqliteNotADatabase or SqliteCorrupt => Translate(e),
            SqliteBusy or SqliteLocked => new StorageException(StorageFailure.Unreachable, $"database: {Path} is busy: {e.Message}", e),
            SqliteIoError or SqliteFull => new StorageException(StorageFailure.Unreachable, $"database: {Path}: {e.Message}", e),
            _ => null,
        }
        : null;

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (ReadOnly) throw new InvalidOperationException("a read-only store cannot migrate");
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        if (!File.Exists(Path))
        {
            // The database holds sealed secrets and the audit log: owner-only (SQLite gives -wal/-shm the same mode).
            using var created = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        await using var connection = await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Refuse a foreign file before anything writes to it: switching to WAL rewrites the file header.
            using (var probe = connection.CreateCommand())
                RefuseForeign(probe);
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL";
                var mode = wal.ExecuteScalar() as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new StorageException(StorageFailure.Configuration, $"database: {Path}: cannot enable WAL mode (got {mode})");
            }
            // BEGIN IMMEDIATE takes the write lock: two processes never migrate at once.
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            RefuseForeign(command);
            await ApplyMigrationsAsync(command, Path, cancellationToken).ConfigureAwait(false);
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    private void RefuseForeign(SqliteCommand command)
    {
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
        var tables = new List<string>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) tables.Add(reader.GetString(0));
        if (tables.Count > 0 && !tables.Contains("custos_schema_migrations"))
            throw new StorageException(StorageFailure.Foreign,
                $"database: {Path} is not a Custos database (it has tables {string.Join(", ", tables.Take(5))}); refusing to touch it");
    }

    public override async Task CheckWritableAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT COUNT(*) FROM custos_schema_migrations";
            command.ExecuteScalar();
            transaction.Rollback();
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    public override async Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken)
    {
        await _writerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _writer ??= await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                RewindWalIfWanted(_writer);
                AppendLocked(_writer, batch);
            }
            catch
            {
                // A failed writer connection may be in a bad state: start over with a fresh one.
                _insertEvent?.Dispose();
                _insertEvent = null;
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
                throw;
            }
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
        finally
        {
            _writerLock.Release();
        }
        if (batch.Events.Count > 0)
        {
            AfterAppend(batch.NewHead.Seq);
            StartCheckpointer();
        }
    }

    private void AppendLocked(SqliteConnection connection, AuditBatch batch)
    {
        // BEGIN IMMEDIATE holds the write lock: no other process can append between reading the head and committing.
        using var transaction = connection.BeginTransaction(deferred: false);
        using (var head = connection.CreateCommand())
        {
            head.Transaction = transaction;
            batch.EnsureChainsOnto(ReadHeadAsync(head, CancellationToken.None).GetAwaiter().GetResult());
        }
        var events = batch.Events;
        var checkpoint = batch.Checkpoint;
        var insert = _insertEvent ??= EventInsert.Prepare(connection);
        insert.Execute(events);
        if (checkpoint is not null)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO audit_checkpoints (seq, time_us, head_hash, signature, key_id) VALUES (@s, @t, @h, @sig, @k) ON CONFLICT (seq) DO NOTHING";
            Add(command, "s", checkpoint.Seq);
            Add(command, "t", ToMicros(checkpoint.Time));
            Add(command, "h", checkpoint.HeadHash);
            Add(command, "sig", checkpoint.Signature);
            Add(command, "k", checkpoint.KeyId);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public override async ValueTask DisposeAsync()
    {
        await StopIndexerAsync().ConfigureAwait(false);
        await _checkpointerTask.ConfigureAwait(false);
        _indexerStop.Dispose();
        await _writerLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_indexer is not null) await _indexer.DisposeAsync().ConfigureAwait(false);
            _indexer = null;
            _insertEvent?.Dispose();
            if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
        }
        finally
        {
            _writerLock.Release();
        }
        SqliteConnection.ClearAllPools();
    }
}
