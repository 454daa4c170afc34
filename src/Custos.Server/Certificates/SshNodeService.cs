using Custos.Core;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Credentials;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Core.Policy;
using Custos.Server.Api;
using Custos.Server.Api.Certificates;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Server.Policy;
using Custos.Ssh;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Certificates;

/// <summary>
/// SSH node enrolment. An administrator issues a one-time join token for a registered <c>ssh_node</c>; on the node,
/// <c>custos node join</c> proves possession of the host key (it signs a server challenge, the token and the key) and
/// gets a host certificate for the node's names plus what sshd needs to accept Custos user certificates (user CA keys,
/// KRL). <c>custos node sync</c> later proves possession of the enrolled key the same way and gets them again, with
/// the host certificate renewed when it is expiring, signed by a CA key that no longer signs, or for other names.
/// Challenges are stateless (an HMAC under a key derived from the master key), so any instance accepts any
/// instance's challenge. Join tokens are stored as SHA-256 only and redeemed atomically (a replayed join fails).
/// </summary>
public sealed class SshNodeService(
    ISshNodeStore store,
    IPolicyStore policyStore,
    PolicyService policy,
    SshCaService ca,
    SshRevocationService revocations,
    MasterKey masterKey,
    CustosRuntime runtime,
    TimeProvider time) : IDisposable
{
    public const string TokenPrefix = "cjt_";
    public static readonly TimeSpan DefaultTokenTtl = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxTokenTtl = TimeSpan.FromHours(24);
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(1);

    /// <summary>How often nodes are told to synchronise (a hint for cron; the host certificate lives far longer).</summary>
    public const string SyncInterval = "5m";

    private const int ChallengeRandomBytes = 16;
    private const int ChallengeMacBytes = 32;
    /// <summary>Refused join and sync attempts allowed per source address (per instance) before it must wait.</summary>
    public const int FailuresPerMinute = 20;

    private readonly byte[] _challengeKey = masterKey.DeriveKey("custos ssh node challenge v1");
    private readonly IssueRateLimiter _failures = new(FailuresPerMinute, FailuresPerMinute, time);

    public async Task<IResult> IssueJoinTokenAsync(CustosPrincipal caller, string name, NodeJoinTokenRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var ttl = DefaultTokenTtl;
        if (request.Ttl is not null && (!Durations.TryParse(request.Ttl, out ttl) || ttl <= TimeSpan.Zero || ttl > MaxTokenTtl))
            return Problems.Validation("ttl", "expected a duration from 1m to 24h, such as 1h");
        var resource = await policyStore.GetResourceAsync(name, cancellationToken).ConfigureAwait(false);
        if (resource is null) return Problems.NotFound($"no resource named {name} (custos admin resources ls)");
        if (resource.Kind != ResourceKind.SshNode)
            return Problems.Validation("name", $"{name} is a {resource.Kind.ToName()}, not an ssh_node: only SSH nodes join");
        var token = TokenPrefix + SecretToken.NewSecret();
        var now = Now();
        var expires = now + ttl;
        await store.AddSshNodeJoinTokenAsync(new SshNodeJoinToken(HashToken(token), name, caller.Identity.Name, now, expires, null), cancellationToken).ConfigureAwait(false);
        await AuditAsync("node.join_token.issue", caller.Actor, AuditOutcome.Success, name, null, info,
            new JsonObject { ["expires_at"] = AuditChain.FormatTime(expires) }, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new NodeJoinTokenResponse(name, token, AuditChain.FormatTime(expires)));
    }

    /// <summary>Every enrolled node, and whether it is still a registered ssh_node.</summary>
    public async Task<EnrolledNodeListResponse> ListAsync(CancellationToken cancellationToken)
    {
        var nodes = await store.ListSshNodesAsync(cancellationToken).ConfigureAwait(false);
        return new EnrolledNodeListResponse([.. nodes.Select(n => new EnrolledNodeDto(n.Node, n.HostKeyFingerprint, AuditChain.FormatTime(n.EnrolledAt),
            n.LastSyncAt is { } sync ? AuditChain.FormatTime(sync) : null, n.HostCertificateSerial,
            n.HostCertificateValidBefore is { } before ? AuditChain.FormatTime(before) : null,
            policy.FindResource(n.Node) is { Kind: ResourceKind.SshNode }))]);
    }

    /// <summary>A challenge: base64url of expiry (Unix seconds, 8 bytes) ‖ 16 random bytes ‖ HMAC-SHA256 of both.</summary>
    public NodeChallengeResponse Challenge()
    {
        var expires = time.GetUtcNow() + ChallengeLifetime;
        var bytes = new byte[8 + ChallengeRandomBytes + ChallengeMacBytes];
        BinaryPrimitives.WriteInt64BigEndian(bytes, expires.ToUnixTimeSeconds());
        RandomNumberGenerator.Fill(bytes.AsSpan(8, ChallengeRandomBytes));
        HMACSHA256.HashData(_challengeKey, bytes.AsSpan(0, 8 + ChallengeRandomBytes), bytes.AsSpan(8 + ChallengeRandomBytes));
        return new NodeChallengeResponse(System.Buffers.Text.Base64Url.EncodeToString(bytes), AuditChain.FormatTime(DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds())));
    }

    public async Task<IResult> JoinAsync(NodeJoinRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (TooManyFailures(info) is { } slowDown) return slowDown;
        var anonymous = new AuditActor("anonymous", "-", "-");
        if (request.Token is not { Length: > 0 and <= 128 } token || !token.StartsWith(TokenPrefix, StringComparison.Ordinal))
            return Problems.Validation("token", "expected the join token from custos admin resources add --join-token-out (cjt_…)");
        if (ParseHostKey(request.HostPublicKey, out var hostKey) is { } keyProblem) return keyProblem;
        if (ChallengeProblem(request.Challenge) is { } challengeProblem) return challengeProblem;
        var signature = DecodeSignature(request.Signature);
        if (signature is null) return Problems.Validation("signature", "expected base64 of an SSH signature blob");

        var hash = HashToken(token);
        var stored = await store.GetSshNodeJoinTokenAsync(hash, cancellationToken).ConfigureAwait(false);
        var now = Now();
        if (stored is null || stored.UsedAt is not null || stored.ExpiresAt <= now)
        {
            var why = stored is null ? "unknown_token" : stored.UsedAt is not null ? "token_used" : "token_expired";
            await AuditAsync("node.join", anonymous, AuditOutcome.Denied, stored?.Node, why, info, new JsonObject { ["host_key_fingerprint"] = hostKey!.GetFingerprint() }, cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-join-token", "Invalid join token",
                "the join token is unknown, already used or expired: issue a new one (custos admin resources join-token NAME --out FILE)");
        }
        var nodeActor = new AuditActor("node", stored.Node, stored.Node);
        if (!hostKey!.Verify(NodeProof.JoinMessage(request.Challenge!, token, hostKey.ToText()), signature))
        {
            await AuditAsync("node.join", nodeActor, AuditOutcome.Denied, stored.Node, "bad_proof", info, new JsonObject { ["host_key_fingerprint"] = hostKey.GetFingerprint() }, cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("bad-host-key-proof", "Host key proof failed",
                "the signature does not verify with the host public key sent: sign NodeProof.JoinMessage with the matching host private key");
        }
        var resource = await policyStore.GetResourceAsync(stored.Node, cancellationToken).ConfigureAwait(false);
        if (resource is null || resource.Kind != ResourceKind.SshNode)
        {
            await AuditAsync("node.join", nodeActor, AuditOutcome.Denied, stored.Node, "node_unregistered", info, null, cancellationToken).ConfigureAwait(false);
            return Problems.Conflict("node-unregistered", "The node is no longer registered", $"{stored.Node} is not a registered ssh_node any more: register it again (custos admin resources add)");
        }
        // A first enrolment must present the key the node was registered with, if one was; a re-enrolment (a new token
        // for an enrolled node) is the administrator's decision to accept a new host key.
        var previous = await store.GetSshNodeAsync(stored.Node, cancellationToken).ConfigureAwait(false);
        if (previous is null && resource.HostKeyFingerprint is { } registered && registered != hostKey.GetFingerprint())
        {
            await AuditAsync("node.join", nodeActor, AuditOutcome.Denied, stored.Node, "host_key_mismatch", info, new JsonObject
            {
                ["host_key_fingerprint"] = hostKey.GetFingerprint(), ["registered_fingerprint"] = registered,
            }, cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("host-key-mismatch", "Not the registered host key",
                $"{stored.Node} is registered with host key {registered}, but this node's key is {hostKey.GetFingerprint()}: join with that key (--host-key) or correct the registration");
        }

        var issued = IssueHostCertificate(resource, hostKey, now);
        var enrollment = new SshNodeEnrollment(stored.Node, hostKey.ToText(), hostKey.GetFingerprint(), now, now, issued.Serial, issued.ValidBefore);
        if (!await store.TryRedeemSshNodeJoinTokenAsync(hash, now, enrollment, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync("node.join", nodeActor, AuditOutcome.Denied, stored.Node, "token_used", info, null, cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-join-token", "Invalid join token", "the join token was used by another request at the same time");
        }
        if (!resource.TrustHostCa)
            await TrustHostCaAsync(resource, nodeActor, info, cancellationToken).ConfigureAwait(false);
        await AuditAsync("node.join", nodeActor, AuditOutcome.Success, stored.Node, previous is null ? null : "re_enrolled", info, new JsonObject
        {
            ["host_key_fingerprint"] = hostKey.GetFingerprint(),
            ["previous_host_key_fingerprint"] = previous?.HostKeyFingerprint,
            ["host_cert_serial"] = issued.Serial,
            ["principals"] = new JsonArray([.. issued.Principals.Select(p => (JsonNode)p)]),
            ["valid_before"] = AuditChain.FormatTime(issued.ValidBefore),
            ["ca_key"] = issued.CaKeyId,
        }, cancellationToken).ConfigureAwait(false);
        return Results.Ok(await BundleAsync(stored.Node, issued, renewed: true, cancellationToken).ConfigureAwait(false));
    }

    public async Task<IResult> SyncAsync(string name, NodeSyncRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (TooManyFailures(info) is { } slowDown) return slowDown;
        if (!ResourceInput.IsValidName(name)) return Problems.Validation("name", "expected a node name");
        if (ChallengeProblem(request.Challenge) is { } challengeProblem) return challengeProblem;
        var signature = DecodeSignature(request.Signature);
        if (signature is null) return Problems.Validation("signature", "expected base64 of an SSH signature blob");
        if (request.HostCertificate is { Length: > 16 * 1024 }) return Problems.Validation("host_certificate", "too long for a host certificate");

        var actor = new AuditActor("node", name, name);
        var enrollment = await store.GetSshNodeAsync(name, cancellationToken).ConfigureAwait(false);
        var hostKey = enrollment is null ? null : SshPublicKey.ParseText(enrollment.HostPublicKey);
        if (hostKey is null || !hostKey.Verify(NodeProof.SyncMessage(request.Challenge!, name), signature))
        {
            await AuditAsync("node.sync", actor, AuditOutcome.Denied, name, enrollment is null ? "not_enrolled" : "bad_proof", info, null, cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("bad-host-key-proof", "Host key proof failed",
                $"the proof does not verify with the host key enrolled for {name} (is the node enrolled with this host key? custos node join)");
        }
        var resource = await policyStore.GetResourceAsync(name, cancellationToken).ConfigureAwait(false);
        if (resource is null || resource.Kind != ResourceKind.SshNode)
        {
            await AuditAsync("node.sync", actor, AuditOutcome.Denied, name, "node_unregistered", info, null, cancellationToken).ConfigureAwait(false);
            return Problems.Conflict("node-unregistered", "The node is no longer registered", $"{name} is not a registered ssh_node any more: it gets no certificates");
        }
        var now = Now();
        var current = CurrentHostCertificate(request.HostCertificate, hostKey, resource, now);
        HostCertificate issued;
        if (current is not null)
        {
            issued = current;
        }
        else
        {
            issued = IssueHostCertificate(resource, hostKey, now);
            await AuditAsync("node.host_cert.issue", actor, AuditOutcome.Success, name, null, info, new JsonObject
            {
                ["host_key_fingerprint"] = hostKey.GetFingerprint(),
                ["host_cert_serial"] = issued.Serial,
                ["principals"] = new JsonArray([.. issued.Principals.Select(p => (JsonNode)p)]),
                ["valid_before"] = AuditChain.FormatTime(issued.ValidBefore),
                ["ca_key"] = issued.CaKeyId,
            }, cancellationToken).ConfigureAwait(false);
        }
        await store.RecordSshNodeSyncAsync(name, now, issued.Serial, issued.ValidBefore, cancellationToken).ConfigureAwait(false);
        return Results.Ok(await BundleAsync(name, issued, renewed: current is null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// <c>@cert-authority</c> lines for every trusted host CA key, restricted to <c>ca.ssh.known_hosts_domain</c> or
    /// else to the names and addresses of the nodes that present host certificates (never <c>*</c>).
    /// </summary>
    public async Task<KnownHostsResponse> KnownHostsAsync(CancellationToken cancellationToken)
    {
        List<string> patterns;
        if (runtime.Options.SshCa.KnownHostsDomain is { } domain)
        {
            patterns = [domain, $"[{domain}]:*"];
        }
        else
        {
            var resources = await policyStore.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
            patterns = [.. resources.Where(r => r.Kind == ResourceKind.SshNode && r.TrustHostCa).OrderBy(r => r.Name, StringComparer.Ordinal)
                .SelectMany(KnownHostsPatterns).Distinct(StringComparer.Ordinal)];
        }
        if (patterns.Count == 0) return new KnownHostsResponse([], "");
        var list = string.Join(',', patterns);
        return new KnownHostsResponse(patterns, string.Concat(ca.Get(SshCaType.Host).Trusted.Select(k => $"@cert-authority {list} {k.PublicKey}\n")));
    }

    /// <summary>
    /// The known_hosts names of a node: its name (what <c>HostKeyAlias</c> gives ssh) and, with the port, the name and
    /// the address as ssh looks them up on a port other than 22.
    /// </summary>
    public static IEnumerable<string> KnownHostsPatterns(StoredResource node)
    {
        yield return node.Name;
        if (node.Port == 22)
        {
            yield return node.Address;
            yield break;
        }
        var port = node.Port.ToString(CultureInfo.InvariantCulture);
        yield return $"[{node.Name}]:{port}";
        yield return $"[{node.Address}]:{port}";
    }

    /// <summary>The names a node's host certificate is for: its registered name and its address's host.</summary>
    public static IReadOnlyList<string> HostPrincipals(StoredResource node) =>
        [.. new[] { node.Name, node.Address }.Distinct(StringComparer.OrdinalIgnoreCase)];

    private sealed record HostCertificate(string Text, string Serial, DateTimeOffset ValidBefore, IReadOnlyList<string> Principals, string CaKeyId);

    private HostCertificate IssueHostCertificate(StoredResource node, SshPublicKey hostKey, DateTimeOffset now)
    {
        var authority = ca.Get(SshCaType.Host);
        var serial = SshCertificateIssuer.NewSerial();
        var principals = HostPrincipals(node);
        var validBefore = DateTimeOffset.FromUnixTimeSeconds((now + runtime.Options.SshCa.HostCertificateTtl).ToUnixTimeSeconds());
        var keyId = "host/" + node.Name;
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = hostKey,
            Type = SshCertificateType.Host,
            Serial = serial,
            KeyId = keyId,
            Principals = principals,
            ValidAfter = now - runtime.Options.SshCa.ClockSkew,
            ValidBefore = validBefore,
        }, authority.Signer);
        return new HostCertificate(certificate.ToText(keyId), serial.ToString(CultureInfo.InvariantCulture), validBefore, principals, authority.Active.Id);
    }

    /// <summary>The node's current host certificate when it can stay: for this key and these names, from the signing CA key, with more than half its life left.</summary>
    private HostCertificate? CurrentHostCertificate(string? text, SshPublicKey hostKey, StoredResource node, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        SshCertificate certificate;
        try
        {
            if (SshPublicKey.ParseText(text) is not SshCertificate parsed) return null;
            certificate = parsed;
        }
        catch (SshFormatException)
        {
            return null;
        }
        var authority = ca.Get(SshCaType.Host);
        var signer = SshPublicKey.ParseText(authority.Active.PublicKey);
        if (certificate.Type != SshCertificateType.Host || !certificate.Key.Equals(hostKey) || !certificate.SignatureKey.Equals(signer) || !certificate.HasValidSignature())
            return null;
        if (!certificate.Principals.SequenceEqual(HostPrincipals(node), StringComparer.Ordinal)) return null;
        var nowSeconds = (ulong)now.ToUnixTimeSeconds();
        if (certificate.ValidBefore <= nowSeconds || certificate.ValidAfter > nowSeconds) return null;
        if (certificate.ValidBefore - nowSeconds < (certificate.ValidBefore - certificate.ValidAfter) / 2) return null;
        var validBefore = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(certificate.ValidBefore, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        return new HostCertificate(certificate.ToText(certificate.KeyId), certificate.Serial.ToString(CultureInfo.InvariantCulture), validBefore, certificate.Principals, authority.Active.Id);
    }

    private async Task<NodeBundleResponse> BundleAsync(string node, HostCertificate certificate, bool renewed, CancellationToken cancellationToken)
    {
        var user = ca.Get(SshCaType.User);
        var (krl, etag) = await revocations.BuildKrlAsync(cancellationToken).ConfigureAwait(false);
        return new NodeBundleResponse(node, certificate.Text, renewed, certificate.Serial, AuditChain.FormatTime(certificate.ValidBefore), certificate.Principals,
            string.Concat(user.Trusted.Select(k => k.PublicKey + "\n")), Convert.ToBase64String(krl), etag, SyncInterval);
    }

    /// <summary>An enrolled node presents host certificates: its resource says so, so clients get <c>@cert-authority</c> lines for it.</summary>
    private async Task TrustHostCaAsync(StoredResource resource, AuditActor actor, RequestInfo info, CancellationToken cancellationToken)
    {
        var now = Now();
        var updated = resource with { TrustHostCa = true, UpdatedAt = now };
        var result = await policy.WriteAsync(() => policyStore.UpdateResourceAsync(updated, resource.Revision, cancellationToken), _ => null, cancellationToken).ConfigureAwait(false);
        if (result != PolicyUpdateResult.Updated) return; // changed meanwhile by an administrator, who decides
        await AuditAsync("resource.update", actor, AuditOutcome.Success, "resource/" + resource.Name, "node_joined", info, new JsonObject
        {
            ["revision"] = resource.Revision + 1,
            ["trust_host_ca"] = true,
            ["before_sha256"] = Digests.Of(InventoryYaml.CanonicalText(resource)),
            ["after_sha256"] = Digests.Of(InventoryYaml.CanonicalText(updated)),
        }, cancellationToken).ConfigureAwait(false);
    }

    private static IResult? ParseHostKey(string? text, out SshPublicKey? key)
    {
        key = null;
        if (text is null || text.Length > 16 * 1024) return Problems.Validation("host_public_key", "expected the node's host public key line (ssh-ed25519 AAAA…)");
        try
        {
            key = SshPublicKey.ParseText(text);
        }
        catch (SshFormatException e)
        {
            return Problems.Validation("host_public_key", "expected an OpenSSH public key line: " + e.Message);
        }
        if (key is SshCertificate) return Problems.Validation("host_public_key", "send the plain host public key, not a certificate");
        if (key.KeyType == SshKeyType.Rsa && key.KeySize < 2048) return Problems.Validation("host_public_key", "RSA host keys must have at least 2048 bits");
        return null;
    }

    private IResult? ChallengeProblem(string? challenge)
    {
        byte[] bytes;
        try
        {
            bytes = challenge is { Length: > 0 and <= 128 } ? System.Buffers.Text.Base64Url.DecodeFromChars(challenge) : [];
        }
        catch (FormatException)
        {
            bytes = [];
        }
        if (bytes.Length != 8 + ChallengeRandomBytes + ChallengeMacBytes)
            return Problems.Validation("challenge", "expected a challenge from POST /v1/nodes/challenge");
        Span<byte> mac = stackalloc byte[ChallengeMacBytes];
        HMACSHA256.HashData(_challengeKey, bytes.AsSpan(0, 8 + ChallengeRandomBytes), mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes.AsSpan(8 + ChallengeRandomBytes)))
            return Problems.Unauthorized("bad-challenge", "Unknown challenge", "the challenge was not issued by this installation: ask POST /v1/nodes/challenge for one");
        if (BinaryPrimitives.ReadInt64BigEndian(bytes) < time.GetUtcNow().ToUnixTimeSeconds())
            return Problems.Unauthorized("challenge-expired", "Challenge expired", "the challenge is older than a minute: ask for a new one");
        return null;
    }

    private static byte[]? DecodeSignature(string? text)
    {
        if (text is not { Length: > 0 and <= 8192 }) return null;
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string HashToken(string token) => Convert.ToHexStringLower(SecretToken.Hash(token));

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    /// <summary>
    /// An address whose join or sync proofs keep failing waits (429, not audited: the refusals before it were), so a
    /// flood of bad proofs cannot fill the audit log or probe tokens at speed.
    /// </summary>
    private IResult? TooManyFailures(RequestInfo info) =>
        _failures.HasToken(info.SourceIp ?? "-", out var retryAfter) ? null
        : Problems.TooManyRequests("rate-limited", "Too many failed node proofs",
            $"more than {FailuresPerMinute} refused join or sync attempts a minute from this address; retry later", retryAfter);

    private async Task AuditAsync(string type, AuditActor actor, AuditOutcome outcome, string? node, string? reason, RequestInfo info, JsonObject? details, CancellationToken cancellationToken)
    {
        if (outcome == AuditOutcome.Denied) _failures.TryTake(info.SourceIp ?? "-", out _);
        await runtime.RequireAudit().AppendAsync(new AuditEntry(type, actor, outcome, node is null ? null : "ssh_node/" + node, reason, info.Source, info.RequestId, details), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_challengeKey);
}
