using Custos.Core.Crypto;

namespace Custos.Core.Credentials;

/// <summary>A one-time join token for an SSH node, as stored: only the SHA-256 (hex) of the token.</summary>
public sealed record SshNodeJoinToken(string TokenHash, string Node, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt);

/// <summary>
/// An enrolled SSH node: the host public key it proved it holds (join), when it last synchronised, and the serial and
/// expiry of the last host certificate it was given.
/// </summary>
public sealed record SshNodeEnrollment(
    string Node,
    string HostPublicKey,
    string HostKeyFingerprint,
    DateTimeOffset EnrolledAt,
    DateTimeOffset? LastSyncAt,
    string? HostCertificateSerial,
    DateTimeOffset? HostCertificateValidBefore);

/// <summary>Storage port for SSH node enrolment.</summary>
public interface ISshNodeStore
{
    Task AddSshNodeJoinTokenAsync(SshNodeJoinToken token, CancellationToken cancellationToken);

    /// <summary>The token with this hash, used or not, expired or not; null when there is none.</summary>
    Task<SshNodeJoinToken?> GetSshNodeJoinTokenAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: marks the token used — only if it is unused and unexpired at <paramref name="now"/> and
    /// names <paramref name="enrollment"/>'s node — and stores the enrollment (replacing an earlier one of the node).
    /// False, and nothing written, when the token cannot be redeemed (another request redeemed it first, or it expired).
    /// </summary>
    Task<bool> TryRedeemSshNodeJoinTokenAsync(string tokenHash, DateTimeOffset now, SshNodeEnrollment enrollment, CancellationToken cancellationToken);

    Task<SshNodeEnrollment?> GetSshNodeAsync(string node, CancellationToken cancellationToken);

    Task<IReadOnlyList<SshNodeEnrollment>> ListSshNodesAsync(CancellationToken cancellationToken);

    /// <summary>Records a synchronisation and the host certificate the node now has.</summary>
    Task RecordSshNodeSyncAsync(string node, DateTimeOffset at, string hostCertificateSerial, DateTimeOffset hostCertificateValidBefore, CancellationToken cancellationToken);

    /// <summary>Deletes join tokens that expired before <paramref name="before"/>; returns how many.</summary>
    Task<int> PruneSshNodeJoinTokensAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>
/// The phases of a CA rotation, in order: <see cref="Standby"/> (one key), <see cref="Init"/> (a new key is trusted
/// everywhere but does not sign), <see cref="UpdateClients"/> (the user CA's new key signs user certificates; clients
/// refresh what they trust), <see cref="UpdateServers"/> (the host CA's new key signs host certificates; nodes pick
/// them up), then <see cref="Standby"/> again once the old key is dropped.
/// </summary>
public enum SshCaPhase
{
    Standby,
    Init,
    UpdateClients,
    UpdateServers,
}

/// <summary>
/// Where one CA's rotation stands. <see cref="Mode"/> is <c>manual</c> or <c>auto</c> while rotating (null in
/// standby); <see cref="Version"/> counts changes (0: never rotated, no stored row).
/// </summary>
public sealed record SshCaRotation(SshCaType Type, SshCaPhase Phase, string? Mode, DateTimeOffset? StartedAt, TimeSpan? Grace, DateTimeOffset PhaseChangedAt, long Version)
{
    public static SshCaRotation NeverRotated(SshCaType type) => new(type, SshCaPhase.Standby, null, null, null, DateTimeOffset.UnixEpoch, 0);
}

/// <summary>One key's state change within a rotation step; applied only if the key is still in <see cref="From"/>.</summary>
public sealed record SshCaKeyStateChange(string KeyId, SshCaKeyState From, SshCaKeyState To);

/// <summary>
/// One rotation step, applied all or nothing: the rotation row moves from <see cref="Expected"/> (its version) to
/// <see cref="Next"/>, the keys change state, and a new key (with its sealed private half) may be added.
/// </summary>
public sealed record SshCaRotationStep(
    SshCaRotation Expected,
    SshCaRotation Next,
    IReadOnlyList<SshCaKeyStateChange> KeyChanges,
    SshCaKeyRecord? NewKey,
    SealedSecret? NewPrivateKey,
    DateTimeOffset At);

/// <summary>Storage port for CA rotation (next to <see cref="ISshCaStore"/>).</summary>
public interface ISshCaRotationStore
{
    /// <summary>The stored rotations (a CA never rotated has none).</summary>
    Task<IReadOnlyList<SshCaRotation>> ListSshCaRotationsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies a step in one transaction. False, and nothing written, when the rotation is no longer at
    /// <see cref="SshCaRotationStep.Expected"/>'s version or a key is no longer in the expected state (another
    /// instance moved first).
    /// </summary>
    Task<bool> TryApplySshCaRotationStepAsync(SshCaRotationStep change, CancellationToken cancellationToken);
}

public static class SshCaPhases
{
    public static string ToName(this SshCaPhase phase) => phase switch
    {
        SshCaPhase.Standby => "standby",
        SshCaPhase.Init => "init",
        SshCaPhase.UpdateClients => "update_clients",
        SshCaPhase.UpdateServers => "update_servers",
        _ => throw new ArgumentOutOfRangeException(nameof(phase)),
    };

    public static bool TryParse(string? name, out SshCaPhase phase)
    {
        switch (name)
        {
            case "standby": phase = SshCaPhase.Standby; return true;
            case "init": phase = SshCaPhase.Init; return true;
            case "update_clients": phase = SshCaPhase.UpdateClients; return true;
            case "update_servers": phase = SshCaPhase.UpdateServers; return true;
            default: phase = default; return false;
        }
    }
}
