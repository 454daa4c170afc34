using Custos.Server.Api.Policy;

namespace Custos.Server.Api.Certificates;

// The wire contract of the certificate authority API (JSON, snake_case). The CLI deserialises these same records.
// docs/ssh-access.md and docs/api.md describe them.

/// <summary>One CA key: its OpenSSH public key line, SHA-256 fingerprint, and rotation state (active, next, previous).</summary>
public sealed record CaPublicKeyDto(string Id, string PublicKey, string Fingerprint, string State, string CreatedAt);

/// <summary>
/// <c>GET /v1/ca/ssh/user</c> and <c>GET /v1/ca/ssh/host</c> (no authentication): the keys to trust, the active one
/// first; during a rotation both the old and the new. <see cref="Lines"/> is the text for sshd's
/// <c>TrustedUserCAKeys</c> (user) or the key part of <c>@cert-authority</c> lines (host).
/// </summary>
public sealed record CaPublicKeysResponse(string Type, IReadOnlyList<CaPublicKeyDto> Keys, string Lines);

/// <summary>
/// <c>POST /v1/certs/ssh</c> (any session): a user certificate for <see cref="PublicKey"/> (an OpenSSH public key line;
/// the private key never travels) scoped to exactly one node and login. Without <see cref="Command"/> the decision is
/// for <c>ssh.session</c>; with it, for <c>ssh.exec</c>, and the certificate forces that command. <see cref="Ttl"/>
/// (e.g. "5m") asks for less than the default; it is capped by the role's <c>max_ttl</c> and the session's expiry.
/// </summary>
public sealed record SshCertificateRequest(string PublicKey, string Node, string Login, string? Command, string? Ttl);

/// <summary>
/// The certificate (an OpenSSH <c>*-cert-v01@openssh.com</c> line to write as <c>id_ed25519-cert.pub</c>), what it
/// says, where the node is, and how to trust the node's host key: <see cref="KnownHosts"/> holds known_hosts lines
/// (an <c>@cert-authority</c> line for nodes whose host certificates Custos signs); for a node registered with a host
/// key fingerprint instead, <see cref="HostKeyFingerprint"/> is set and the client must check the offered key against it.
/// </summary>
public sealed record SshCertificateResponse(
    string Certificate,
    string Serial,
    string KeyId,
    IReadOnlyList<string> Principals,
    string ValidAfter,
    string ValidBefore,
    IReadOnlyList<string> Extensions,
    IReadOnlyDictionary<string, string> CriticalOptions,
    string Node,
    string Host,
    int Port,
    IReadOnlyList<string> KnownHosts,
    string? HostKeyFingerprint,
    ExplanationDto Explanation);

/// <summary>
/// <c>POST /v1/ca/ssh/revocations</c> (needs <c>sessions.revoke</c>): exactly one of a certificate serial (decimal), a
/// public key line (the key and every certificate of it), or a user, bot or agent name (every certificate it may still
/// hold).
/// </summary>
public sealed record SshRevocationRequest(string? Serial, string? PublicKey, string? User, string? Reason);

/// <summary>One KRL entry: kind serial, key (SHA-256 fingerprint) or key_id; expires_at null for revoked keys (kept for good).</summary>
public sealed record SshRevocationDto(string Kind, string Value, string Reason, string RevokedBy, string RevokedAt, string? ExpiresAt);

/// <summary>What a revocation added (<see cref="Added"/> counts new entries; already revoked ones are not counted).</summary>
public sealed record SshRevocationResponse(int Added, IReadOnlyList<SshRevocationDto> Entries);

public sealed record SshRevocationListResponse(IReadOnlyList<SshRevocationDto> Revocations);
