using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Custos.Storage.Sqlite;

/// <summary>
/// WAL checkpoints off the acknowledgement path. By default SQLite checkpoints inside the commit that takes the WAL
/// past 1,000 pages: that commit copies ~4 MiB into the database file and fsyncs it before it returns, holding a group
/// commit of a few hundred audit events for 5–75 ms on the development VM (docs/benchmarks.md). Here a writable
/// store's connections only checkpoint as a safety net (<see cref="SafetyNetPages"/>, if this loop stops working); a
/// background loop on its own connection, without the writer lock, runs a PASSIVE checkpoint every
/// <see cref="CheckpointPeriod"/> from the first audit append until the store is disposed (PASSIVE neither waits for
/// nor blocks the writer).
/// SQLite rewinds the WAL to its start only when a write begins with every frame copied, which a steady stream of
/// commits rarely allows; so once the WAL has grown past <see cref="RewindPages"/>, the audit writer itself runs one
/// PASSIVE checkpoint before its next batch (at most every <see cref="MinRewindInterval"/>). That copies only the frames
/// written since the background pass, and the batch then writes the WAL from its beginning again.
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>Autocheckpoint threshold of every writable connection: only if the background loop falls far behind.</summary>
    internal const int SafetyNetPages = 65_536;

    /// <summary>After a rewind the WAL file is truncated to this size if it grew larger (a long reader held it).</summary>
    private const long WalSizeLimitBytes = 128L * 1024 * 1024;

    private int _checkpointerRunning;
    private Task _checkpointerTask = Task.CompletedTask;
    private volatile bool _rewindWanted;
    private long _lastRewindTimestamp;
    private long _rewinds;

    internal TimeSpan CheckpointPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    internal long RewindPages { get; set; } = 16_384;

    internal TimeSpan MinRewindInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rewinds the audit writer asked for (for tests).</summary>
    internal long RewindCount => Interlocked.Read(ref _rewinds);

    private static void DeferCheckpoints(SqliteConnection connection)
    {
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA wal_autocheckpoint = {SafetyNetPages}; PRAGMA journal_size_limit = {WalSizeLimitBytes};";
        pragma.ExecuteNonQuery();
    }

    private void StartCheckpointer()
    {
        if (Interlocked.CompareExchange(ref _checkpointerRunning, 1, 0) == 0)
            _checkpointerTask = Task.Run(CheckpointLoopAsync);
    }

    /// <summary>Called by the audit writer under its lock before a batch.</summary>
    private void RewindWalIfWanted(SqliteConnection writer)
    {
        if (!_rewindWanted || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRewindTimestamp)) < MinRewindInterval) return;
        _rewindWanted = false;
        Volatile.Write(ref _lastRewindTimestamp, Stopwatch.GetTimestamp());
        try
        {
            Checkpoint(writer, "PASSIVE");
            Interlocked.Increment(ref _rewinds);
        }
        catch (SqliteException)
        {
            // Not rewound this time (the background loop asks again); the batch itself must not fail for it.
        }
    }

    private async Task CheckpointLoopAsync()
    {
        var stop = _indexerStop.Token;
        SqliteConnection? connection = null;
        try
        {
            using var timer = new PeriodicTimer(CheckpointPeriod);
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                // Every tick, not only after audit appends: other writes grow the WAL too. With nothing to copy a
                // PASSIVE checkpoint only takes and releases its lock.
                try
                {
                    connection ??= await OpenSqliteAsync(stop).ConfigureAwait(false);
                    var (walPages, _) = Checkpoint(connection, "PASSIVE");
                    if (walPages >= RewindPages) _rewindWanted = true;
                }
                catch (Exception e) when (e is SqliteException or StorageException or InvalidOperationException)
                {
                    // Busy or failing storage: the safety-net checkpoint still bounds the WAL. Try again on a fresh
                    // connection at the next tick.
                    if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposing: closing the last connection checkpoints the rest.
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one checkpoint; returns the WAL's size in pages and how many of them are in the database.</summary>
    private static (long WalPages, long Copied) Checkpoint(SqliteConnection connection, string mode)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode})";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }
}
