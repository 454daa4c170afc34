using Custos.Core.Crypto;

namespace Custos.Core.Credentials;

/// <summary>Which SSH certificate authority: the one that signs user certificates, or the one that signs host certificates.</summary>
public enum SshCaType
{
    User,
    Host,
}

/// <summary>
/// Where a CA key stands in its life: <see cref="Active"/> signs; during a rotation <see cref="Next"/> (the new key,
/// trusted but not yet signing) and <see cref="Previous"/> (the old key, still trusted) are exported too;
/// <see cref="Retired"/> keys are neither trusted nor used.
/// </summary>
public enum SshCaKeyState
{
    Active,
    Next,
    Previous,
    Retired,
}

public static class SshCaNames
{
    public static string ToName(this SshCaType type) => type == SshCaType.User ? "user" : "host";

    public static bool TryParseType(string? name, out SshCaType type)
    {
        type = name == "host" ? SshCaType.Host : SshCaType.User;
        return name is "user" or "host";
    }

    public static string ToName(this SshCaKeyState state) => state switch
    {
        SshCaKeyState.Active => "active",
        SshCaKeyState.Next => "next",
        SshCaKeyState.Previous => "previous",
        SshCaKeyState.Retired => "retired",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParseState(string? name, out SshCaKeyState state)
    {
        switch (name)
        {
            case "active": state = SshCaKeyState.Active; return true;
            case "next": state = SshCaKeyState.Next; return true;
            case "previous": state = SshCaKeyState.Previous; return true;
            case "retired": state = SshCaKeyState.Retired; return true;
            default: state = default; return false;
        }
    }

    /// <summary>The name of the sealed secret that holds a CA key's private half.</summary>
    public static string SecretName(string keyId) => "ssh-ca:" + keyId;
}

/// <summary>An SSH CA key as stored: its public key line (<c>ssh-ed25519 AAAA… custos-user-ca</c>) and state; the private key is a sealed secret.</summary>
public sealed record SshCaKeyRecord(string Id, SshCaType Type, string Algorithm, string PublicKey, SshCaKeyState State, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Storage port for the SSH certificate authorities' keys.</summary>
public interface ISshCaStore
{
    /// <summary>Every CA key, oldest first.</summary>
    Task<IReadOnlyList<SshCaKeyRecord>> ListSshCaKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores a key and its sealed private half in one transaction. False, and nothing written, when the id exists or
    /// when the key is <see cref="SshCaKeyState.Active"/> and its CA already has an active key (another instance
    /// created it first: use that one).
    /// </summary>
    Task<bool> TryAddSshCaKeyAsync(SshCaKeyRecord key, SealedSecret privateKey, CancellationToken cancellationToken);
}

/// <summary>What a KRL entry revokes: one certificate serial, one key (by SHA-256 fingerprint, certificates of it included), or one certificate key id.</summary>
public enum SshRevocationKind
{
    Serial,
    Key,
    KeyId,
}

/// <summary>
/// A revocation as stored. <see cref="Value"/>: the serial in decimal, the key's <c>SHA256:…</c> fingerprint, or the
/// key id. <see cref="ExpiresAt"/>: when no certificate it covers can be valid any more (then it is pruned from the
/// KRL); null keeps it for good (revoked keys).
/// </summary>
public sealed record SshRevocation(SshRevocationKind Kind, string Value, string Reason, string RevokedBy, DateTimeOffset RevokedAt, DateTimeOffset? ExpiresAt);

/// <summary>Storage port for the SSH key revocation list (KRL) of the user CA.</summary>
public interface ISshRevocationStore
{
    /// <summary>Adds a revocation; idempotent per (kind, value): false when it was already revoked (nothing changes).</summary>
    Task<bool> AddSshRevocationAsync(SshRevocation revocation, CancellationToken cancellationToken);

    /// <summary>Revocations still in force at <paramref name="now"/> (not expired), in (kind, value) order.</summary>
    Task<IReadOnlyList<SshRevocation>> ListSshRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes revocations that expired before <paramref name="now"/>; returns how many.</summary>
    Task<int> PruneSshRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

public static class SshRevocationKinds
{
    public static string ToName(this SshRevocationKind kind) => kind switch
    {
        SshRevocationKind.Serial => "serial",
        SshRevocationKind.Key => "key",
        SshRevocationKind.KeyId => "key_id",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? name, out SshRevocationKind kind)
    {
        switch (name)
        {
            case "serial": kind = SshRevocationKind.Serial; return true;
            case "key": kind = SshRevocationKind.Key; return true;
            case "key_id": kind = SshRevocationKind.KeyId; return true;
            default: kind = default; return false;
        }
    }
}
