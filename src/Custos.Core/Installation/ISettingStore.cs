namespace Custos.Core.Installation;

/// <summary>Small installation-wide values shared by every instance (audit public key, bootstrap state, ...).</summary>
public interface ISettingStore
{
    Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken);

    /// <summary>Sets a value only if the key is absent; returns the value now stored.</summary>
    Task<string> GetOrAddSettingAsync(string key, string value, CancellationToken cancellationToken);

    Task SetSettingAsync(string key, string value, CancellationToken cancellationToken);
}

/// <summary>Well-known setting keys.</summary>
public static class SettingKeys
{
    public const string InstallationId = "installation.id";
    public const string AuditPublicKey = "audit.public_key";
    public const string BootstrapCompletedAt = "bootstrap.completed_at";
}
