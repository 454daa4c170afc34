using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Core.Policy;
using Custos.Server.Api;
using Custos.Server.Api.Policy;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Policy;

/// <summary>
/// The questions people ask of the policy: may USER do ACTION on RESOURCE (check), who can, what can. Anyone may ask
/// about themselves; asking about someone else, and who-can (which is about everyone), needs <c>audit.read</c>, and
/// is audited as <c>access.query</c>.
/// </summary>
public sealed partial class AccessQueryService(PolicyService policy, IIdentityStore identities, CustosRuntime runtime, TimeProvider time)
{
    public async Task<IResult> CheckAsync(CustosPrincipal caller, AccessCheckRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Action) || !PolicyActions.IsKnown(request.Action))
            return Problems.Validation("action", $"unknown action '{PolicyAdminService.Clip(request.Action)}'; known actions: {string.Join(", ", PolicyActions.All)}");
        var (subject, problem) = await SubjectAsync(caller, request.User, info, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;

        var at = time.GetUtcNow();
        if (request.At is not null && (!Rfc3339().IsMatch(request.At)
            || !DateTimeOffset.TryParse(request.At, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out at)))
            return Problems.Validation("at", "expected an RFC 3339 time with an offset, such as 2026-12-01T09:30:00Z or 2026-12-01T10:30:00+01:00");
        IPAddress? from = null;
        if (request.From is not null && !IPAddress.TryParse(request.From, out from))
            return Problems.Validation("from", "expected an IP address");
        var mfa = MfaLevel.None;
        if (request.Mfa is not null && !MfaLevelNames.TryParse(request.Mfa, out mfa))
            return Problems.Validation("mfa", "expected none, login or per_session");
        var resource = PolicyActions.KindOf(request.Action) is null || request.Resource is "-" ? null : request.Resource;
        if (PolicyActions.KindOf(request.Action) is not null && string.IsNullOrEmpty(resource))
            return Problems.Validation("resource", $"{request.Action} applies to a resource: name one");

        var decision = policy.Current.Decide(subject!, request.Action, resource,
            new DecisionContext(at, from, mfa, request.Login, request.DbUser, request.DbName));
        await AuditOthersAsync(caller, subject!, "check", info, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new AccessCheckResponse(subject!.Name, request.Action, resource,
            decision.IsAllowed ? "allow" : "deny", decision.Requestable, decision.RequestableRoles,
            decision.IsAllowed ? ToDto(decision.Obligations) : null, ToDto(decision.Explanation), AuditChain.FormatTime(at)));
    }

    public async Task<IResult> WhoCanAsync(CustosPrincipal caller, string? action, string? resource, RequestInfo info, CancellationToken cancellationToken)
    {
        if (action is null || !PolicyActions.IsKnown(action))
            return Problems.Validation("action", $"unknown action '{PolicyAdminService.Clip(action)}'; known actions: {string.Join(", ", PolicyActions.All)}");
        // "-" stands for "no resource" (admin actions); for a resource action it is as good as a missing one.
        if (PolicyActions.KindOf(action) is null || resource is "-" or "") resource = null;
        var set = policy.Current;
        if (PolicyActions.KindOf(action) is { } kind)
        {
            if (string.IsNullOrEmpty(resource)) return Problems.Validation("resource", $"{action} applies to a resource: name one");
            if (set.FindResource(resource) is not { } found) return Problems.NotFound($"no resource named {PolicyAdminService.Clip(resource)}");
            if (found.Kind != kind) return Problems.Validation("action", $"{action} does not apply to {resource}, a {found.Kind.ToName()}");
        }
        var everyone = await identities.ListIdentitiesAsync(null, cancellationToken).ConfigureAwait(false);
        var active = everyone.Where(i => i.Status == IdentityStatus.Active).ToList();
        var kinds = active.ToDictionary(i => i.Id, i => i.Kind.ToName(), StringComparer.Ordinal);
        var result = set.WhoCan(action, resource, active.Select(policy.SubjectOf));
        await AuditAsync(caller, "who-can", $"{action} {resource}".TrimEnd(), info, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new WhoCanResponse(result.Action, result.Resource,
            [.. result.Roles.Select(r => new RoleAccessDto(r.Role, Mode(r.Mode), [.. r.Rules.Select(ToDto)], [.. r.Conditions.Select(ToDto)], r.DependsOnTraits))],
            [.. result.Subjects.Select(s => new SubjectAccessDto(s.Id, s.Name, kinds.GetValueOrDefault(s.Id, "user"), Mode(s.Mode), s.Roles, [.. s.Conditions.Select(ToDto)], s.Logins))]));
    }

    public async Task<IResult> WhatCanAsync(CustosPrincipal caller, string? user, RequestInfo info, CancellationToken cancellationToken)
    {
        var (subject, problem) = await SubjectAsync(caller, user, info, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        var result = policy.Current.WhatCan(subject!);
        await AuditOthersAsync(caller, subject!, "what-can", info, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new WhatCanResponse(subject!.Name, result.StandingRoles, result.RequestableRoles,
            [.. result.Resources.Select(r => Reachable(r, policy.FindResource(r.Name)))],
            result.StandingAdminActions, result.RequestableAdminActions));
    }

    private static ReachableResourceDto Reachable(ReachableResource r, StoredResource? stored) =>
        new(r.Name, r.Kind.ToName(), Mode(r.Mode), r.Actions, r.Logins, r.DbUsers, r.DbNames, r.Roles, [.. r.Conditions.Select(ToDto)],
            stored is null || stored.Kind == ResourceKind.App ? null : ResourceInput.FormatAddress(stored.Address, stored.Port),
            stored is { Kind: ResourceKind.SshNode, TrustHostCa: false } ? stored.HostKeyFingerprint : null,
            stored is { Kind: ResourceKind.SshNode, TrustHostCa: true });

    /// <summary>The caller, or — with <c>audit.read</c> — the named identity.</summary>
    private async Task<(PolicySubject? Subject, IResult? Problem)> SubjectAsync(CustosPrincipal caller, string? user, RequestInfo info, CancellationToken cancellationToken)
    {
        if (user is null)
            return (policy.SubjectOf(caller.Identity), null);
        if (!IdentityName.TryNormalize(user, out _, out var key, out var error))
            return (null, Problems.Validation("user", error ?? "is not a valid name"));
        if (key == caller.Identity.NameKey)
            return (policy.SubjectOf(caller.Identity), null);
        if (policy.Authorize(caller, PolicyActions.AuditRead, null, info.SourceIp) is { IsAllowed: false } denied)
        {
            await runtime.RequireAudit().AppendAsync(new AuditEntry("api.access", caller.Actor, AuditOutcome.Denied, "user/" + PolicyAdminService.Clip(user),
                "policy_denied", info.Source, info.RequestId, new JsonObject { ["action"] = PolicyActions.AuditRead, ["explanation"] = denied.Explanation.Message }),
                cancellationToken).ConfigureAwait(false);
            return (null, Problems.Forbidden("forbidden", "Forbidden", $"asking about another identity needs audit.read: {denied.Explanation.Message}"));
        }
        var identity = await identities.GetIdentityByNameAsync(key, cancellationToken).ConfigureAwait(false);
        return identity is null ? (null, Problems.NotFound($"no user, bot or agent named {PolicyAdminService.Clip(user)}")) : (policy.SubjectOf(identity), null);
    }

    private Task AuditOthersAsync(CustosPrincipal caller, PolicySubject subject, string question, RequestInfo info, CancellationToken cancellationToken) =>
        subject.Id == caller.Identity.Id ? Task.CompletedTask : AuditAsync(caller, question, "user/" + subject.Name, info, cancellationToken);

    private async Task AuditAsync(CustosPrincipal caller, string question, string target, RequestInfo info, CancellationToken cancellationToken) =>
        await runtime.RequireAudit().AppendAsync(new AuditEntry("access.query", caller.Actor, AuditOutcome.Success, target, question, info.Source, info.RequestId,
            new JsonObject { ["question"] = question }), cancellationToken).ConfigureAwait(false);

    private static string Mode(AccessMode mode) => mode == AccessMode.Standing ? "standing" : "request";

    public static ObligationsDto ToDto(Obligations o) => new(o.MaxTtl is { } ttl ? Durations.Format(ttl) : null, o.Mfa.ToName(), o.RecordingRequired, o.Moderated,
        o.IdleTimeout is { } idle ? Durations.Format(idle) : null);

    public static ExplanationDto ToDto(Explanation e) => new(Snake(e.Reason.ToString()), e.Message, [.. e.Rules.Select(ToDto)], e.Condition is { } c ? Snake(c.ToString()) : null);

    private static RuleRefDto ToDto(RuleRef r) => new(r.Role, r.Rule);

    private static ConditionsDto ToDto(RuleConditions c) => new(c.Mfa.ToName(), [.. c.SourceNetworks.Select(n => n.ToString())],
        [.. c.TimeWindows.Select(w => $"{w.Days} {w.Hours} {w.Zone.Id}")]);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Rfc3339();

    private static string Snake(string pascal) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(pascal);
}
