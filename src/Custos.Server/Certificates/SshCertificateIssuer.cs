using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Custos.Core.Audit;
using Custos.Core.Credentials;
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
/// Issues per-target SSH user certificates for direct access: one node, one login, minutes of validity, decided by
/// the policy engine at issuance. Principal <c>LOGIN@NODE</c>, key id <c>USER/SESSION-ID</c>, a random serial,
/// extensions only as policy allows, <c>force-command</c> for exec, <c>source-address</c> when the allowing rules pin
/// the source networks. Refused when a role requires what a plain OpenSSH node cannot enforce (recording, moderation):
/// those sessions go through the gateway. Every issuance and refusal is audited (<c>ssh_cert.issue</c>); the
/// certificate is returned only after its event is durable.
/// </summary>
public sealed partial class SshCertificateIssuer(SshCaService ca, PolicyService policy, CustosRuntime runtime, TimeProvider time)
{
    public const int MaxCommandLength = 4096;

    private readonly IssueRateLimiter _limiter = new(runtime.Options.SshCa.IssueRatePerMinute, runtime.Options.SshCa.IssueBurst, time);

    public async Task<IResult> IssueAsync(CustosPrincipal caller, SshCertificateRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        // ---- the request itself ----
        SshPublicKey key;
        try
        {
            key = SshPublicKey.ParseText(request.PublicKey ?? "");
        }
        catch (SshFormatException e)
        {
            return Problems.Validation("public_key", "expected an OpenSSH public key line (ssh-ed25519 AAAA…): " + e.Message);
        }
        if (key is SshCertificate) return Problems.Validation("public_key", "a certificate cannot be certified: send the plain public key");
        if (key.KeyType == SshKeyType.Rsa && key.KeySize < 2048) return Problems.Validation("public_key", "RSA keys must have at least 2048 bits");
        if (request.Node is null || !ResourceInput.IsValidName(request.Node)) return Problems.Validation("node", "expected a node name (custos ls)");
        if (request.Login is null || !LoginPattern().IsMatch(request.Login)) return Problems.Validation("login", "expected a Unix login name: letters, digits, '.', '_' or '-', at most 32, not starting with '-'");
        if (request.Command is { } c && (c.Length is 0 or > MaxCommandLength || c.Contains('\0', StringComparison.Ordinal)))
            return Problems.Validation("command", $"a command must be 1-{MaxCommandLength} characters without NUL");
        var defaultTtl = runtime.Options.SshCa.UserCertificateTtl;
        var ttl = defaultTtl;
        if (request.Ttl is not null && (!Durations.TryParse(request.Ttl, out ttl) || ttl <= TimeSpan.Zero))
            return Problems.Validation("ttl", "expected a duration such as 2m or 5m");
        if (ttl > defaultTtl) ttl = defaultTtl;

        var target = "ssh_node/" + request.Node;
        if (!_limiter.TryTake(caller.Identity.Id, out var retryAfter))
        {
            await AuditAsync(caller, info, AuditOutcome.Denied, target, "rate_limited", new JsonObject { ["login"] = request.Login }, cancellationToken).ConfigureAwait(false);
            return Problems.TooManyRequests("rate-limited", "Too many certificates",
                $"at most {runtime.Options.SshCa.IssueRatePerMinute} certificates a minute (burst {runtime.Options.SshCa.IssueBurst}); retry later", retryAfter);
        }
        // An unknown name gets the same answer as a node one may not reach (no enumeration of the inventory), audited.
        var node = policy.FindResource(request.Node);
        if (node is null || node.Kind != ResourceKind.SshNode)
        {
            await AuditAsync(caller, info, AuditOutcome.Denied, target, "unknown_node", new JsonObject { ["login"] = request.Login }, cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("access-denied", "Access denied", $"there is no SSH node {request.Node} that you may reach as {request.Login} (custos ls lists those you can)");
        }

        // ---- the decision ----
        var now = time.GetUtcNow();
        var action = request.Command is null ? PolicyActions.SshSession : PolicyActions.SshExec;
        var context = new DecisionContext(now, Source(info), MfaOf(caller, now), Login: request.Login);
        var set = policy.Current;
        var subject = policy.SubjectOf(caller.Identity);
        var decision = set.Decide(subject, action, node.Name, context);
        var explanation = AccessQueryService.ToDto(decision.Explanation);
        if (!decision.IsAllowed)
        {
            await AuditAsync(caller, info, AuditOutcome.Denied, target, "policy_denied", new JsonObject
            {
                ["action"] = action, ["login"] = request.Login, ["key_fingerprint"] = key.GetFingerprint(), ["explanation"] = decision.Explanation.Message,
            }, cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("access-denied", "Access denied", $"{action} as {request.Login} on {node.Name} is not allowed: {decision.Explanation.Message}");
        }
        var o = decision.Obligations;
        if (o.RecordingRequired || o.Moderated)
        {
            var needs = o.RecordingRequired && o.Moderated ? "recording and moderation" : o.RecordingRequired ? "recording" : "moderation";
            var why = $"the policy requires {needs} for this access ({string.Join(", ", decision.Explanation.Rules)}), which a plain OpenSSH node cannot enforce: " +
                "connect through the Custos SSH gateway instead (docs/ssh-access.md)";
            await AuditAsync(caller, info, AuditOutcome.Denied, target, "gateway_required", new JsonObject
            {
                ["action"] = action, ["login"] = request.Login, ["explanation"] = why,
            }, cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("gateway-required", "Direct access cannot satisfy the policy", why);
        }
        if (o.MaxTtl is { } maxTtl && maxTtl < ttl) ttl = maxTtl;
        var sessionLeft = caller.Session.ExpiresAt - now;
        if (sessionLeft < ttl) ttl = sessionLeft;
        if (ttl <= TimeSpan.Zero) return Problems.Unauthorized("unauthenticated", "Session expired", "the session has expired; log in again");

        // ---- the certificate ----
        var extensions = new List<SshCertificateOption>();
        var options = new List<SshCertificateOption>();
        if (request.Command is null) extensions.Add(new(SshCertificateOptionNames.PermitPty));
        if (set.Decide(subject, PolicyActions.SshPortForward, node.Name, context).IsAllowed)
            extensions.Add(new(SshCertificateOptionNames.PermitPortForwarding));
        if (request.Command is not null) options.Add(new(SshCertificateOptionNames.ForceCommand, request.Command));
        if (PinnedNetworks(set, decision) is { } networks) options.Add(new(SshCertificateOptionNames.SourceAddress, networks));
        extensions.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        options.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        var authority = ca.Get(SshCaType.User);
        var serial = NewSerial();
        var validAfter = now - runtime.Options.SshCa.ClockSkew;
        var validBefore = now + ttl;
        var principal = $"{request.Login}@{node.Name}";
        var keyId = $"{caller.Identity.Name}/{caller.Session.Id}";
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = key,
            Type = SshCertificateType.User,
            Serial = serial,
            KeyId = keyId,
            Principals = [principal],
            ValidAfter = validAfter,
            ValidBefore = validBefore,
            CriticalOptions = options,
            Extensions = extensions,
        }, authority.Signer);
        var serialText = serial.ToString(CultureInfo.InvariantCulture);
        var after = AuditChain.FormatTime(TruncateToSeconds(validAfter));
        var before = AuditChain.FormatTime(TruncateToSeconds(validBefore));
        await AuditAsync(caller, info, AuditOutcome.Success, target, null, new JsonObject
        {
            ["serial"] = serialText,
            ["key_id"] = keyId,
            ["key_fingerprint"] = key.GetFingerprint(),
            ["principal"] = principal,
            ["valid_after"] = after,
            ["valid_before"] = before,
            ["action"] = action,
            ["extensions"] = new JsonArray([.. extensions.Select(e => (JsonNode)e.Name)]),
            ["critical_options"] = new JsonObject(options.Select(op => KeyValuePair.Create(op.Name, (JsonNode?)op.Value))),
            ["ca_key"] = authority.Active.Id,
            ["rules"] = new JsonArray([.. decision.Explanation.Rules.Select(r => (JsonNode)r.ToString())]),
            ["explanation"] = decision.Explanation.Message,
        }, cancellationToken).ConfigureAwait(false);

        var host = ca.Get(SshCaType.Host);
        var hostPattern = string.Join(',', SshNodeService.KnownHostsPatterns(node));
        IReadOnlyList<string> knownHosts = node.TrustHostCa ? [.. host.Trusted.Select(k => $"@cert-authority {hostPattern} {k.PublicKey}")] : [];
        return Results.Ok(new SshCertificateResponse(certificate.ToText(keyId), serialText, keyId, [principal], after, before,
            [.. extensions.Select(e => e.Name)], options.ToDictionary(op => op.Name, op => op.Value, StringComparer.Ordinal),
            node.Name, node.Address, node.Port, knownHosts, node.TrustHostCa ? null : node.HostKeyFingerprint, explanation));
    }

    /// <summary>
    /// The source networks to pin with <c>source-address</c>: the union of those of the allow rules that matched, or
    /// null when any of them allows every source (the certificate must not be narrower than the policy).
    /// </summary>
    private static string? PinnedNetworks(PolicySet set, Decision decision)
    {
        var networks = new List<string>();
        foreach (var rule in decision.Explanation.Rules)
        {
            if (set.FindRole(rule.Role) is not { } role) return null;
            var index = rule.Rule == "allow" ? 0 : int.TryParse(rule.Rule.AsSpan("allow[".Length, Math.Max(0, rule.Rule.Length - "allow[]".Length)), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;
            if (index < 0 || index >= role.Allow.Count) return null;
            var sources = role.Allow[index].Conditions.SourceNetworks;
            if (sources.Count == 0) return null;
            networks.AddRange(sources.Select(n => n.ToString()));
        }
        return networks.Count == 0 ? null : string.Join(',', networks.Distinct(StringComparer.Ordinal));
    }

    private MfaLevel MfaOf(CustosPrincipal caller, DateTimeOffset now) =>
        caller.Session.MfaAt is not { } at ? MfaLevel.None
        : now - at <= runtime.Options.Identity.StepUpWindow ? MfaLevel.PerSession : MfaLevel.Login;

    /// <summary>A random certificate serial: 63 bits, never 0 (user and host certificates alike).</summary>
    public static ulong NewSerial() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 1 | 1;

    private static IPAddress? Source(RequestInfo info) => info.SourceIp is not null && IPAddress.TryParse(info.SourceIp, out var ip) ? ip : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    private async Task AuditAsync(CustosPrincipal caller, RequestInfo info, AuditOutcome outcome, string target, string? reason, JsonObject details, CancellationToken cancellationToken) =>
        await runtime.RequireAudit().AppendAsync(new AuditEntry("ssh_cert.issue", caller.Actor, outcome, target, reason, info.Source, info.RequestId, details),
            cancellationToken).ConfigureAwait(false);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex LoginPattern();
}
