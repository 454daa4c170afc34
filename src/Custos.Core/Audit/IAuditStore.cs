namespace Custos.Core.Audit;

/// <summary>The last event of the log: what the next event chains onto.</summary>
public sealed record AuditHead(long Seq, byte[] Hash)
{
    public static AuditHead Empty { get; } = new(0, AuditChain.GenesisHash.ToArray());

    public override string ToString() => $"{Seq}:{Convert.ToHexStringLower(Hash)}";
}

/// <summary>Filters for reading the log. All filters combine with AND; <see cref="AfterSeq"/> is the cursor.</summary>
public sealed record AuditQuery
{
    public long AfterSeq { get; init; }
    public long? UpToSeq { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    public string? Type { get; init; }
    public string? Actor { get; init; }
    public string? Target { get; init; }
    public AuditOutcome? Outcome { get; init; }
    public int? Limit { get; init; }

    public bool IsUnfiltered => Since is null && Until is null && Type is null && Actor is null && Target is null && Outcome is null;
}

/// <summary>
/// Durable, append-only storage of audit events and checkpoints. Implementations must make an append durable
/// (committed and synced) before the returned task completes, and store a batch atomically.
/// </summary>
public interface IAuditStore
{
    /// <summary>The newest event, or <see cref="AuditHead.Empty"/>.</summary>
    Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the batch's events and checkpoint in one durable transaction. Under its append lock the store reads the
    /// current head and calls <see cref="AuditBatch.EnsureChainsOnto"/> first, so a batch always extends the real head.
    /// </summary>
    Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken);

    /// <summary>Events in sequence order.</summary>
    IAsyncEnumerable<AuditEvent> ReadAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Checkpoints in sequence order.</summary>
    IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(CancellationToken cancellationToken);
}


/// <summary>
/// A store that can hand the verifier its stored rows as UTF-8 bytes, without materialising events (SQLite). The
/// verifier reads sequence ranges through it on every core at once, each on its own connection.
/// </summary>
public interface IAuditRowReader
{
    /// <summary>
    /// Adds every event with <paramref name="afterSeq"/> &lt; seq &lt;= <paramref name="upToSeq"/> to
    /// <paramref name="hasher"/> in sequence order, synchronously, on the calling thread.
    /// </summary>
    void ReadRows(long afterSeq, long upToSeq, AuditRowHasher hasher, CancellationToken cancellationToken);
}
