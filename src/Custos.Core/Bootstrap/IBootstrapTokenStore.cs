namespace Custos.Core.Bootstrap;

/// <summary>A one-time bootstrap token as stored: only its SHA-256 hash is kept.</summary>
public sealed record BootstrapTokenRecord(string Id, byte[] TokenHash, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt);

public interface IBootstrapTokenStore
{
    /// <summary>Stores a new token and invalidates every earlier unused one (only the newest is valid).</summary>
    Task ReplaceBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken);

    Task<IReadOnlyList<BootstrapTokenRecord>> ListBootstrapTokensAsync(CancellationToken cancellationToken);

    /// <summary>Marks the token used if it is unused; false when it was already used or replaced (one-time use).</summary>
    Task<bool> TryConsumeBootstrapTokenAsync(string id, DateTimeOffset usedAt, CancellationToken cancellationToken);
}
