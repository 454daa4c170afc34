namespace Custos.Core.Crypto;

/// <summary>Sealed secrets by name (CA keys, the audit signing key, ...). Values are opaque to the store.</summary>
public interface ISecretStore
{
    Task<SealedSecret?> GetSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores a secret under a new name. Returns false when the name exists (another instance won the race).</summary>
    Task<bool> TryAddSecretAsync(string name, SealedSecret secret, CancellationToken cancellationToken);
}
