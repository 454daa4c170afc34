using System.Runtime.CompilerServices;
using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

/// <summary>An <see cref="IAuditStore"/> in memory with switchable failures, for the writer's own logic.</summary>
internal sealed class InMemoryAuditStore : IAuditStore
{
    private readonly object _gate = new();
    public List<AuditEvent> Events { get; } = [];
    public List<AuditCheckpoint> Checkpoints { get; } = [];
    public List<int> BatchSizes { get; } = [];
    public volatile bool Fail;
    public TimeSpan CommitDelay { get; set; }

    public Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        if (Fail) throw new IOException("disk on fire");
        lock (_gate) return Task.FromResult(Events.Count == 0 ? AuditHead.Empty : new AuditHead(Events[^1].Seq, Events[^1].Hash));
    }

    public async Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken)
    {
        if (CommitDelay > TimeSpan.Zero) await Task.Delay(CommitDelay, cancellationToken);
        if (Fail) throw new IOException("disk on fire");
        lock (_gate)
        {
            batch.EnsureChainsOnto(Events.Count == 0 ? AuditHead.Empty : new AuditHead(Events[^1].Seq, Events[^1].Hash));
            Events.AddRange(batch.Events);
            if (batch.Events.Count > 0) BatchSizes.Add(batch.Events.Count);
            if (batch.Checkpoint is { } checkpoint && Checkpoints.All(c => c.Seq != checkpoint.Seq)) Checkpoints.Add(checkpoint);
        }
    }

    /// <summary>Another instance appends directly, moving the head under our writer.</summary>
    public void AppendForeign(AuditEvent e)
    {
        lock (_gate) Events.Add(e);
    }

    public async IAsyncEnumerable<AuditEvent> ReadAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        AuditEvent[] snapshot;
        lock (_gate) snapshot = [.. Events];
        foreach (var e in snapshot.Where(e => e.Seq > query.AfterSeq)) yield return e;
        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        AuditCheckpoint[] snapshot;
        lock (_gate) snapshot = [.. Checkpoints];
        foreach (var c in snapshot) yield return c;
        await Task.CompletedTask;
    }
}
