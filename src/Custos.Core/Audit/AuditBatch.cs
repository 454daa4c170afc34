using System.Buffers;

namespace Custos.Core.Audit;

/// <summary>
/// Events chained onto a head, and optionally a checkpoint at the batch's end, committed in one transaction. If the
/// store finds, under its append lock, that another instance moved the head, it calls <see cref="Rechain"/> and
/// commits the re-chained batch: instances sharing a database never fork the chain and never livelock.
/// </summary>
public sealed class AuditBatch
{
    private readonly IReadOnlyList<(AuditEntry Entry, string Details)> _entries;
    private readonly DateTimeOffset _time;
    private readonly bool _withCheckpoint;
    private readonly Func<long, byte[], DateTimeOffset, AuditCheckpoint>? _sign;
    private readonly ArrayBufferWriter<byte> _scratch = new(1024);

    public AuditBatch(IReadOnlyList<(AuditEntry Entry, string Details)> entries, DateTimeOffset time, AuditHead head,
        bool withCheckpoint, Func<long, byte[], DateTimeOffset, AuditCheckpoint>? sign)
    {
        if (withCheckpoint && sign is null) throw new ArgumentException("a checkpoint needs a signer", nameof(sign));
        _entries = entries;
        _time = AuditChain.TruncateToMicroseconds(time);
        _withCheckpoint = withCheckpoint;
        _sign = sign;
        Rechain(head);
    }

    /// <summary>The head this batch chains onto.</summary>
    public AuditHead Base { get; private set; } = AuditHead.Empty;

    public IReadOnlyList<AuditEvent> Events { get; private set; } = [];

    public AuditCheckpoint? Checkpoint { get; private set; }

    /// <summary>The head after this batch commits.</summary>
    public AuditHead NewHead { get; private set; } = AuditHead.Empty;

    /// <summary>True when <see cref="Rechain"/> was needed (another writer appended in between).</summary>
    public bool WasRechained { get; private set; }

    /// <summary>Re-assigns sequence numbers and hashes (and re-signs the checkpoint) onto <paramref name="head"/>.</summary>
    public void Rechain(AuditHead head)
    {
        WasRechained = Events.Count > 0 || Checkpoint is not null;
        Base = head;
        var events = new AuditEvent[_entries.Count];
        var seq = head.Seq;
        var prev = head.Hash;
        for (var i = 0; i < events.Length; i++)
        {
            var (entry, details) = _entries[i];
            var source = entry.Source is { Ip: null, UserAgent: null } ? null : entry.Source;
            var e = new AuditEvent(++seq, _time, entry.Type, entry.Actor, entry.Outcome, entry.Target, entry.Reason,
                source, entry.RequestId, details, prev, new byte[AuditChain.HashSize]);
            AuditChain.ComputeHash(e, _scratch, e.Hash);
            events[i] = e;
            prev = e.Hash;
        }
        Events = events;
        NewHead = new AuditHead(seq, prev);
        Checkpoint = _withCheckpoint && seq > 0 ? _sign!(seq, prev, _time) : null;
    }

    /// <summary>Checks the batch still chains onto <paramref name="actual"/>; re-chains it if not.</summary>
    public void EnsureChainsOnto(AuditHead actual)
    {
        if (actual.Seq != Base.Seq || !actual.Hash.AsSpan().SequenceEqual(Base.Hash)) Rechain(actual);
    }
}
