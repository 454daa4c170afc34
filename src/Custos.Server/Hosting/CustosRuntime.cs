using Custos.Core.Audit;
using Custos.Storage;

namespace Custos.Server.Hosting;

/// <summary>
/// What the running server has: the store and audit log once the database is reachable and migrated. Until then,
/// <see cref="NotReadyReason"/> says why, /readyz fails and every API call that needs storage gets 503 (fail closed).
/// </summary>
public sealed class CustosRuntime
{
    private volatile AuditLog? _audit;
    private volatile string? _notReadyReason = "starting";

    public required RelationalStore Store { get; init; }

    public required Configuration.CustosOptions Options { get; init; }

    public required DataDirectory DataDirectory { get; init; }

    /// <summary>True when the schema was migrated before the host started (SQLite), so start-up does not repeat it.</summary>
    public bool SchemaReady { get; init; }

    public AuditLog? Audit => _audit;

    public string? NotReadyReason => _notReadyReason;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    internal void SetReady(AuditLog audit)
    {
        _audit = audit;
        _notReadyReason = null;
    }

    internal void SetNotReady(string reason) => _notReadyReason = reason;

    /// <summary>The audit log, or an exception that makes the caller's action fail closed.</summary>
    public AuditLog RequireAudit() => _audit ?? throw new AuditLogUnavailableException("the audit log is not available: " + (_notReadyReason ?? "starting"));
}
