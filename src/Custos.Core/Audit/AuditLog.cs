using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Custos.Core.Audit;

/// <summary>The audit log could not record an event; the action it records must fail (fail closed).</summary>
public sealed class AuditLogUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The single writer of the tamper-evident audit log. Callers queue entries; one writer loop drains the queue,
/// assigns gap-free sequence numbers, chains hashes, signs checkpoints and commits each batch in one durable
/// transaction (group commit). An append completes only after its event is durable; if the store fails, every
/// append in the batch fails and the chain head is reloaded from storage before the next batch.
/// </summary>
public sealed partial class AuditLog : IAsyncDisposable
{
    private readonly IAuditStore _store;
    private readonly AuditSigningKey _signingKey;
    private readonly TimeProvider _time;
    private readonly AuditLogOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private Task? _writer;
    private ITimer? _timer;
    private AuditHead? _head;
    private long _eventsSinceCheckpoint;
    private DateTimeOffset _lastCheckpointTime;
    private volatile Exception? _fault;
    private long _appended;
    private long _commits;

    public AuditLog(IAuditStore store, AuditSigningKey signingKey, TimeProvider time, AuditLogOptions options, ILogger<AuditLog> logger)
    {
        _store = store;
        _signingKey = signingKey;
        _time = time;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The last failure of the store, or null when the last commit succeeded.</summary>
    public Exception? Fault => _fault;

    /// <summary>Events appended by this process.</summary>
    public long AppendedCount => Interlocked.Read(ref _appended);

    /// <summary>Transactions committed by this process (appended / commits = the group-commit batch size).</summary>
    public long CommitCount => Interlocked.Read(ref _commits);

    /// <summary>The head as of the last durable commit (null before start or after a failure).</summary>
    public AuditHead? Head => Volatile.Read(ref _head);

    public bool IsRunning => _writer is { IsCompleted: false };

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null) throw new InvalidOperationException("the audit log is already started");
        var head = await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _head, head);
        // Events written by an earlier run may lack a checkpoint; sign one on the first tick.
        _eventsSinceCheckpoint = head.Seq > 0 ? 1 : 0;
        _lastCheckpointTime = _time.GetUtcNow();
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        _timer = _time.CreateTimer(static state => ((AuditLog)state!)._queue.Writer.TryWrite(Pending.Tick()),
            this, _options.CheckpointInterval, _options.CheckpointInterval);
    }

    /// <summary>Appends an event and returns it once it is durable. Throws <see cref="AuditLogUnavailableException"/> when it cannot be stored.</summary>
    public async ValueTask<AuditEvent> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(entry, AuditEntryValidator.Validate(entry));
        await EnqueueAsync(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until everything queued before it is durable, and signs a checkpoint at the head.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var pending = Pending.Flush();
        await EnqueueAsync(pending, cancellationToken).ConfigureAwait(false);
        await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnqueueAsync(Pending pending, CancellationToken cancellationToken)
    {
        if (_writer is null) throw new AuditLogUnavailableException("the audit log is not started");
        if (_queue.Writer.TryWrite(pending)) return;
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new AuditLogUnavailableException("the audit log is shut down", e);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        var controls = new List<Pending>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            controls.Clear();
            // Never let a batch carry the log past a checkpoint boundary: checkpoints stay at most
            // CheckpointEveryEvents apart (unless another instance appends in between).
            var limit = (int)Math.Clamp(_options.CheckpointEveryEvents - _eventsSinceCheckpoint, 1, _options.MaxBatchSize);
            while (batch.Count < limit && reader.TryRead(out var item))
            {
                if (item.Entry is null) controls.Add(item);
                else batch.Add(item);
            }
            await CommitAsync(batch, controls, forceCheckpoint: false).ConfigureAwait(false);
        }
        // Shutdown: everything queued is committed; sign the final checkpoint.
        await CommitAsync([], [], forceCheckpoint: true).ConfigureAwait(false);
    }

    private async Task CommitAsync(List<Pending> batch, List<Pending> controls, bool forceCheckpoint)
    {
        try
        {
            var head = Volatile.Read(ref _head) ?? await _store.GetHeadAsync(CancellationToken.None).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var uncheckpointed = _eventsSinceCheckpoint + batch.Count;
            var wantCheckpoint = uncheckpointed > 0 && head.Seq + batch.Count > 0 &&
                (forceCheckpoint || controls.Count > 0 || uncheckpointed >= _options.CheckpointEveryEvents ||
                 now - _lastCheckpointTime >= _options.CheckpointInterval);
            if (batch.Count == 0 && !wantCheckpoint)
            {
                Complete(controls);
                return;
            }
            var entries = new (AuditEntry, string)[batch.Count];
            for (var i = 0; i < entries.Length; i++) entries[i] = (batch[i].Entry!, batch[i].Details!);
            var work = new AuditBatch(entries, now, head, wantCheckpoint, _signingKey.SignCheckpoint);

            await _store.AppendAsync(work, CancellationToken.None).ConfigureAwait(false);

            Volatile.Write(ref _head, work.NewHead);
            Interlocked.Add(ref _appended, work.Events.Count);
            Interlocked.Increment(ref _commits);
            if (work.Checkpoint is not null)
            {
                _eventsSinceCheckpoint = 0;
                _lastCheckpointTime = now;
            }
            else
            {
                // Events another instance appended before ours are covered by that instance's checkpoints.
                _eventsSinceCheckpoint = uncheckpointed;
            }
            if (_fault is not null) LogRecovered(_logger);
            _fault = null;
            for (var i = 0; i < work.Events.Count; i++) batch[i].TrySetResult(work.Events[i]);
            Complete(controls);
        }
        catch (Exception e)
        {
            // Fail closed: nothing in this batch is acknowledged; the head is re-read before the next batch.
            _fault = e;
            Volatile.Write(ref _head, null);
            LogAppendFailed(_logger, batch.Count, e);
            var error = new AuditLogUnavailableException("the audit log cannot be written: " + e.Message, e);
            foreach (var p in batch) p.TrySetException(error);
            foreach (var p in controls) p.TrySetException(error);
        }
    }

    private static void Complete(List<Pending> controls)
    {
        foreach (var p in controls) p.TrySetResult(null!);
    }

    /// <summary>Stops accepting appends, commits what is queued and signs a final checkpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        if (_writer is not null) await _writer.ConfigureAwait(false);
    }

    private sealed class Pending(AuditEntry? entry, string? details)
        : TaskCompletionSource<AuditEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public AuditEntry? Entry { get; } = entry;
        public string? Details { get; } = details;

        public static Pending Tick() => new(null, null);

        public static Pending Flush() => new(null, null);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Audit append of {Count} events failed; the actions they record are refused")]
    private static partial void LogAppendFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Audit log is writable again")]
    private static partial void LogRecovered(ILogger logger);
}
