using System.Text.Json.Nodes;

namespace Custos.Core.Audit;

/// <summary>Outcome of an audited action.</summary>
public enum AuditOutcome
{
    Success,
    Failure,
    Denied,
}

/// <summary>Who performed an audited action. <see cref="Kind"/> is e.g. <c>user</c>, <c>bot</c>, <c>system</c>.</summary>
public sealed record AuditActor(string Kind, string Id, string Name)
{
    /// <summary>The Custos process itself (start-up, shutdown, key creation).</summary>
    public static AuditActor System { get; } = new("system", "custos", "custos");
}

/// <summary>Where a request came from.</summary>
public sealed record AuditSource(string? Ip, string? UserAgent);

/// <summary>
/// What a caller asks the audit log to record. The log assigns the sequence number, time and hashes.
/// </summary>
public sealed record AuditEntry(
    string Type,
    AuditActor Actor,
    AuditOutcome Outcome,
    string? Target = null,
    string? Reason = null,
    AuditSource? Source = null,
    string? RequestId = null,
    JsonObject? Details = null);

/// <summary>
/// One event of the tamper-evident audit log, as stored. <see cref="Details"/> holds the RFC 8785 canonical JSON
/// text of the details object (<c>{}</c> when there are none) so it hashes identically after any round trip.
/// <see cref="Hash"/> = SHA-256(<see cref="PrevHash"/> ‖ canonical(event without hash)); see docs/audit.md.
/// </summary>
public sealed record AuditEvent(
    long Seq,
    DateTimeOffset Time,
    string Type,
    AuditActor Actor,
    AuditOutcome Outcome,
    string? Target,
    string? Reason,
    AuditSource? Source,
    string? RequestId,
    string Details,
    byte[] PrevHash,
    byte[] Hash);

/// <summary>
/// A signed statement that the log's head was <see cref="HeadHash"/> at <see cref="Seq"/>. The signature is
/// Ed25519 over <see cref="AuditCheckpointText"/>.
/// </summary>
public sealed record AuditCheckpoint(long Seq, DateTimeOffset Time, byte[] HeadHash, byte[] Signature, string KeyId);

/// <summary>String forms used in stored rows and canonical JSON.</summary>
public static class AuditOutcomeNames
{
    public static string ToName(this AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Success => "success",
        AuditOutcome.Failure => "failure",
        AuditOutcome.Denied => "denied",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    public static bool TryParse(string? name, out AuditOutcome outcome)
    {
        switch (name)
        {
            case "success": outcome = AuditOutcome.Success; return true;
            case "failure": outcome = AuditOutcome.Failure; return true;
            case "denied": outcome = AuditOutcome.Denied; return true;
            default: outcome = default; return false;
        }
    }
}
