using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Custos.Core.Audit;
using Microsoft.Data.Sqlite;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The audit search index, off the acknowledgement path (schema 3, docs/audit.md "Storage"). audit_events keeps only
/// its primary key, so a durable append writes one B-tree row per event; audit_search (the filter columns, with the
/// time, type, actor and target indexes) is filled from audit_events by a second stage after the commit. That stage
/// yields to appends: it indexes while the writer has been idle for a few milliseconds, or whenever the index lags
/// more than <see cref="MaxIndexLag"/> events. Filtered reads use the index up to MAX(audit_search.seq) and scan the
/// tail beyond it by seq, so a query sees every durable event however far the index lags (and a read-only store,
/// which never indexes, still answers completely).
/// </summary>
public sealed partial class SqliteStore
{
    private const int IndexChunkRows = 512;
    private const long MaxIndexLag = 1_000_000;
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(5);
    private static readonly string JoinedEventColumns = string.Join(", ", EventColumns.Split(", ").Select(c => "e." + c));
    private readonly CancellationTokenSource _indexerStop = new();
    private SqliteConnection? _indexer;
    private long _indexedSeq = -1;
    private long _appendedSeq;
    private long _lastAppendTimestamp;
    private int _indexerRunning;
    private Task _indexerTask = Task.CompletedTask;

    /// <summary>Events up to this sequence number are in audit_search (-1: not read yet). For tests and metrics.</summary>
    internal long IndexedSeq => Volatile.Read(ref _indexedSeq);

    private void AfterAppend(long headSeq)
    {
        Volatile.Write(ref _appendedSeq, headSeq);
        Volatile.Write(ref _lastAppendTimestamp, Stopwatch.GetTimestamp());
        if (Interlocked.CompareExchange(ref _indexerRunning, 1, 0) == 0)
            _indexerTask = Task.Run(IndexLoopAsync);
    }

    private async Task IndexLoopAsync()
    {
        var stop = _indexerStop.Token;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var indexed = Volatile.Read(ref _indexedSeq);
                var lag = Volatile.Read(ref _appendedSeq) - indexed;
                if (indexed >= 0 && lag <= 0)
                {
                    Volatile.Write(ref _indexerRunning, 0);
                    // An append that finished after the check above found the loop still running: take over again.
                    if (Volatile.Read(ref _appendedSeq) > Volatile.Read(ref _indexedSeq) && Interlocked.CompareExchange(ref _indexerRunning, 1, 0) == 0)
                        continue;
                    return;
                }
                var idle = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastAppendTimestamp));
                if (indexed >= 0 && idle < QuietPeriod && lag < MaxIndexLag)
                {
                    await Task.Delay(QuietPeriod - idle, stop).ConfigureAwait(false);
                    continue;
                }
                await _writerLock.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    await IndexChunkAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    _writerLock.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposing: the index catches up on the next start; queries scan the tail meanwhile.
        }
        catch (Exception e) when (e is SqliteException or StorageException or InvalidOperationException)
        {
            // The index is derived data: a failure here loses nothing and queries still scan the un-indexed tail.
            // The next append retries with a fresh connection.
            await CloseIndexerAsync().ConfigureAwait(false);
            Volatile.Write(ref _indexerRunning, 0);
        }
    }

    /// <summary>Copies the next events into audit_search, on its own connection, under the writer lock.</summary>
    private async Task IndexChunkAsync(CancellationToken cancellationToken)
    {
        if (_indexer is null)
        {
            var connection = await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);
            // Derived data: its commits need not be synced (the next audit commit's fsync of the WAL covers them, and
            // after a crash the index is rebuilt from audit_events). NORMAL keeps the database uncorrupted in WAL mode.
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = NORMAL";
            pragma.ExecuteNonQuery();
            _indexer = connection;
        }
        using var transaction = _indexer.BeginTransaction(deferred: false);
        using var command = _indexer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM audit_search";
        var from = (long)command.ExecuteScalar()!;
        command.CommandText =
            "INSERT OR IGNORE INTO audit_search (seq, time_us, type, actor_id, actor_name, target, outcome) " +
            "SELECT seq, time_us, type, actor_id, actor_name, target, outcome FROM audit_events WHERE seq > @from ORDER BY seq LIMIT @rows";
        Add(command, "from", from);
        Add(command, "rows", (long)IndexChunkRows);
        command.ExecuteNonQuery();
        command.Parameters.Clear();
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM audit_search";
        var indexed = (long)command.ExecuteScalar()!;
        transaction.Commit();
        Volatile.Write(ref _indexedSeq, indexed);
        // Nothing more to copy (the head read at append time may be stale after another process appended).
        if (indexed == from && Volatile.Read(ref _appendedSeq) > indexed) Volatile.Write(ref _appendedSeq, indexed);
    }

    private async Task StopIndexerAsync()
    {
        await _indexerStop.CancelAsync().ConfigureAwait(false);
        await _indexerTask.ConfigureAwait(false);
    }

    private async Task CloseIndexerAsync()
    {
        await _writerLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_indexer is not null) await _indexer.DisposeAsync().ConfigureAwait(false);
            _indexer = null;
        }
        finally
        {
            _writerLock.Release();
        }
    }

    /// <summary>
    /// Filtered reads go through audit_search up to its newest indexed event, then scan audit_events beyond it; an
    /// unfiltered read (verify, full export) reads audit_events by seq alone.
    /// </summary>
    public override async IAsyncEnumerable<AuditEvent> ReadAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (query.IsUnfiltered)
        {
            await foreach (var e in base.ReadAsync(query, cancellationToken).ConfigureAwait(false)) yield return e;
            yield break;
        }
        var indexed = await ReadIndexedSeqAsync(cancellationToken).ConfigureAwait(false);
        var remaining = query.Limit ?? int.MaxValue;
        var after = query.AfterSeq;
        if (after < indexed && remaining > 0)
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            var sql = new StringBuilder("SELECT ").Append(JoinedEventColumns)
                .Append(" FROM audit_search s JOIN audit_events e ON e.seq = s.seq WHERE s.seq > @after AND s.seq <= @indexed");
            Add(command, "after", after);
            Add(command, "indexed", indexed);
            if (query.UpToSeq is { } upTo) { sql.Append(" AND s.seq <= @upto"); Add(command, "upto", upTo); }
            AppendFilters(sql, command, query, "s.");
            sql.Append(" ORDER BY s.seq LIMIT @limit");
            Add(command, "limit", (long)remaining);
            command.CommandText = sql.ToString();
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            while (reader.Read())
            {
                remaining--;
                yield return ReadEvent(reader);
            }
            after = indexed;
        }
        if (remaining <= 0 || query.UpToSeq is { } last && last <= after) yield break;
        await foreach (var e in base.ReadAsync(query with { AfterSeq = after, Limit = query.Limit is null ? null : remaining }, cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    /// <summary>The newest event in audit_search (0 when none, or when the database predates schema 3).</summary>
    private async Task<long> ReadIndexedSeqAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_search'";
        if ((long)command.ExecuteScalar()! == 0) return 0;
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM audit_search";
        return (long)command.ExecuteScalar()!;
    }
}
