using Custos.Ssh.Keys;

namespace Custos.Ssh.Certificates;

/// <summary>
/// What a CA puts in a certificate (PROTOCOL.certkeys §2). Options and extensions are written sorted by
/// name and must be unique; principals are written in the given order with duplicates removed.
/// </summary>
public sealed record SshCertificateFields
{
    /// <summary>The plain public key to certify.</summary>
    public required SshPublicKey Key { get; init; }

    public SshCertificateType Type { get; init; } = SshCertificateType.User;

    public ulong Serial { get; init; }

    public string KeyId { get; init; } = string.Empty;

    public IReadOnlyList<string> Principals { get; init; } = [];

    /// <summary>Start of validity (truncated to whole seconds); the Unix epoch means "always".</summary>
    public DateTimeOffset ValidAfter { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>End of validity, exclusive (truncated to whole seconds); null means "forever".</summary>
    public DateTimeOffset? ValidBefore { get; init; }

    public IReadOnlyList<SshCertificateOption> CriticalOptions { get; init; } = [];

    public IReadOnlyList<SshCertificateOption> Extensions { get; init; } = [];

    /// <summary>The nonce; 32 random bytes when null (PROTOCOL.certkeys: it defeats chosen-prefix attacks on the hash).</summary>
    public ReadOnlyMemory<byte>? Nonce { get; init; }
}
