using System.Text;

namespace Custos.Server.Api.Certificates;

// The wire contract of node enrolment, host trust and CA rotation (JSON, snake_case). The CLI (custos node join|sync,
// custos admin ca ..., custos config ssh) deserialises these same records. docs/ssh-access.md and docs/api.md describe them.

/// <summary>
/// <c>POST /v1/nodes/{name}/join-tokens</c> (needs <c>resources.write</c>): a one-time join token for a registered
/// <c>ssh_node</c>. <see cref="Ttl"/> defaults to 1h (at most 24h).
/// </summary>
public sealed record NodeJoinTokenRequest(string? Ttl);

/// <summary>The join token (shown once; only its SHA-256 is stored) and when it stops working.</summary>
public sealed record NodeJoinTokenResponse(string Node, string Token, string ExpiresAt);

/// <summary>
/// <c>POST /v1/nodes/challenge</c> (no authentication, empty body): a fresh challenge for a host-key proof, good for
/// <see cref="ExpiresAt"/> (one minute). Any instance sharing the database accepts it.
/// </summary>
public sealed record NodeChallengeResponse(string Challenge, string ExpiresAt);

/// <summary>
/// <c>POST /v1/nodes/join</c> (no session: the one-time token is the credential). <see cref="HostPublicKey"/> is the
/// node's host public key line; <see cref="Signature"/> is base64 of the SSH signature blob made with the host private
/// key over <see cref="NodeProof.JoinMessage"/>. The token names the node.
/// </summary>
public sealed record NodeJoinRequest(string Token, string HostPublicKey, string Challenge, string Signature);

/// <summary>
/// <c>POST /v1/nodes/{name}/sync</c> (no session: the enrolled host key is the credential). <see cref="Signature"/> is
/// base64 of the SSH signature blob over <see cref="NodeProof.SyncMessage"/>. <see cref="HostCertificate"/> is the
/// node's current host certificate line, if any: the server renews it when it is missing, expiring (less than half its
/// lifetime left), signed by a CA key that no longer signs, or for other names.
/// </summary>
public sealed record NodeSyncRequest(string Challenge, string Signature, string? HostCertificate);

/// <summary>
/// What a node needs to accept Custos certificates (answer of join and sync):
/// <list type="bullet">
/// <item><see cref="HostCertificate"/>: the host certificate line (<c>…-cert-v01@openssh.com</c>) for
/// <see cref="HostPrincipals"/> (the node's name and its address's host), to write as <c>HOSTKEY-cert.pub</c>;
/// <see cref="HostCertificateRenewed"/> says whether it differs from the one sent (sshd must be reloaded to use it);</item>
/// <item><see cref="UserCaKeys"/>: the user CA public key lines to trust (sshd <c>TrustedUserCAKeys</c>; the old and
/// the new during a rotation);</item>
/// <item><see cref="Krl"/>: base64 of the user CA's KRL (sshd <c>RevokedKeys</c>), <see cref="KrlEtag"/> its ETag;</item>
/// <item><see cref="Node"/>: the node's name; each login L accepts exactly the principal <c>L@NODE</c>
/// (one <c>AuthorizedPrincipalsFile</c> per login).</item>
/// </list>
/// </summary>
public sealed record NodeBundleResponse(
    string Node,
    string HostCertificate,
    bool HostCertificateRenewed,
    string HostCertificateSerial,
    string HostCertificateValidBefore,
    IReadOnlyList<string> HostPrincipals,
    string UserCaKeys,
    string Krl,
    string KrlEtag,
    string SyncInterval);

/// <summary>
/// <c>GET /v1/ca/ssh/host/known-hosts</c> (needs <c>resources.read</c>): <c>@cert-authority</c> lines for every key of
/// the host CA, restricted to <see cref="Patterns"/> — the configured <c>ca.ssh.known_hosts_domain</c>, or else every
/// registered SSH node's name and address (never <c>*</c>). <see cref="Lines"/> is the known_hosts text.
/// </summary>
public sealed record KnownHostsResponse(IReadOnlyList<string> Patterns, string Lines);

/// <summary>
/// <c>POST /v1/ca/ssh/{type}/rotate</c> (needs <c>resources.write</c>). Without <see cref="Phase"/>: an automatic
/// rotation that goes through every phase over <see cref="Grace"/> (default 1h). With it, one manual step:
/// <c>init</c>, <c>update_clients</c>, <c>update_servers</c>, <c>standby</c> (in that order; <c>standby</c> before the
/// grace period has passed needs <see cref="Force"/>) or <c>rollback</c> (from any phase but standby).
/// </summary>
public sealed record CaRotateRequest(string? Phase, string? Grace, bool? Force);

/// <summary>
/// One CA's rotation state: <see cref="Phase"/> <c>standby|init|update_clients|update_servers</c>; <see cref="Mode"/>
/// <c>manual|auto</c> while rotating; <see cref="GraceEndsAt"/> when the old key may be dropped;
/// <see cref="NextPhaseAt"/> when an automatic rotation moves on; <see cref="Keys"/> every key still trusted (the
/// signing one has state <c>active</c>).
/// </summary>
public sealed record CaStatusDto(
    string Type,
    string Phase,
    string? Mode,
    string? StartedAt,
    string? Grace,
    string? GraceEndsAt,
    string? NextPhaseAt,
    IReadOnlyList<CaPublicKeyDto> Keys);

/// <summary><c>GET /v1/ca/ssh/status</c> (needs <c>resources.read</c>), and the answer of a rotation step.</summary>
public sealed record CaStatusResponse(IReadOnlyList<CaStatusDto> Authorities);

/// <summary>
/// The exact bytes a node signs with its host private key to prove it holds it (UTF-8, lines ending in <c>\n</c>).
/// The host key's own signature algorithm is used (for RSA, rsa-sha2-512).
/// </summary>
public static class NodeProof
{
    /// <summary><c>custos-node-join\n{challenge}\n{token}\n{host public key line without comment}\n</c>.</summary>
    public static byte[] JoinMessage(string challenge, string token, string hostPublicKey) =>
        Encoding.UTF8.GetBytes($"custos-node-join\n{challenge}\n{token}\n{WithoutComment(hostPublicKey)}\n");

    /// <summary><c>custos-node-sync\n{challenge}\n{node}\n</c>.</summary>
    public static byte[] SyncMessage(string challenge, string node) =>
        Encoding.UTF8.GetBytes($"custos-node-sync\n{challenge}\n{node}\n");

    /// <summary>The first two fields of a public key line (type and base64), so the comment does not matter.</summary>
    public static string WithoutComment(string publicKeyLine)
    {
        var parts = publicKeyLine.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? parts[0] + " " + parts[1] : publicKeyLine.Trim();
    }
}

/// <summary>One enrolled node as <c>GET /v1/nodes</c> shows it: its host key, when it joined and last synchronised, and its host certificate.</summary>
public sealed record EnrolledNodeDto(
    string Node,
    string HostKeyFingerprint,
    string EnrolledAt,
    string? LastSyncAt,
    string? HostCertificateSerial,
    string? HostCertificateValidBefore,
    bool Registered);

/// <summary><c>GET /v1/nodes</c> (needs <c>resources.read</c>): every enrolled node, by name.</summary>
public sealed record EnrolledNodeListResponse(IReadOnlyList<EnrolledNodeDto> Nodes);
