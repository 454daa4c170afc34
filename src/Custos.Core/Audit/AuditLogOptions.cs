namespace Custos.Core.Audit;

/// <summary>Tuning of the audit writer. Defaults meet the targets; see docs/configuration.md.</summary>
public sealed record AuditLogOptions
{
    /// <summary>Largest number of events committed in one transaction (group commit).</summary>
    public int MaxBatchSize { get; init; } = 1024;

    /// <summary>A checkpoint is signed at least every this many events...</summary>
    public int CheckpointEveryEvents { get; init; } = 1000;

    /// <summary>...and at least this often while events arrive.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pending appends beyond this wait (back-pressure) instead of growing memory.</summary>
    public int QueueCapacity { get; init; } = 65_536;
}
