using System.Globalization;

namespace Custos.Core.Policy;

/// <summary>
/// Builds decisions and their messages. Shared by the engine and the test suite's reference evaluator so that both
/// produce the same text for the same reasons.
/// </summary>
internal static class DecisionBuilder
{
    private static readonly IReadOnlyList<RuleRef> NoRules = [];
    private static readonly IReadOnlyList<string> NoRoles = [];

    public static Decision Deny(DecisionReason reason, string message, IReadOnlyList<RuleRef>? rules = null, UnmetCondition? condition = null) =>
        new(Effect.Deny, false, NoRoles, Obligations.None, new Explanation(reason, rules ?? NoRules, condition, message));

    public static Decision UnknownAction(string action) => Deny(DecisionReason.UnknownAction, $"unknown action '{action}'");

    public static Decision MissingResource(string action) => Deny(DecisionReason.UnknownResource, $"{action} needs a resource");

    public static Decision UnknownResource(string resource) =>
        Deny(DecisionReason.UnknownResource, $"resource '{resource}' is not in the inventory");

    public static Decision NotApplicable(string action, PolicyResource resource) =>
        Deny(DecisionReason.ActionNotApplicable, $"{action} does not apply to {resource.Kind.ToName()} '{resource.Name}'");

    public static Decision Locked(string description) => Deny(DecisionReason.Locked, $"locked: {description}");

    public static Decision DeniedBy(RuleRef rule) => Deny(DecisionReason.DeniedByRule, $"denied by {rule}", [rule]);

    public static Decision Allowed(IReadOnlyList<RuleRef> rules, Obligations obligations) =>
        new(Effect.Allow, false, NoRoles, obligations,
            new Explanation(DecisionReason.Allowed, rules, null, $"allowed by {string.Join(", ", rules)}"));

    public static Decision RequiresRequest(IReadOnlyList<string> roles, IReadOnlyList<RuleRef> rules) =>
        new(Effect.Deny, true, roles, Obligations.None,
            new Explanation(DecisionReason.RequiresRequest, rules, null, $"requires an approved request for role {string.Join(" or ", roles)}"));

    public static Decision Unmet(RuleRef rule, UnmetCondition condition, MfaLevel requiredMfa, DecisionContext context) =>
        Deny(DecisionReason.ConditionUnmet, condition switch
        {
            UnmetCondition.Login => context.Login is null ? $"{rule} allows no login" : $"login '{context.Login}' is not allowed by {rule}",
            UnmetCondition.DbUser => context.DbUser is null ? $"{rule} allows no database user" : $"database user '{context.DbUser}' is not allowed by {rule}",
            UnmetCondition.DbName => context.DbName is null ? $"{rule} allows no database name" : $"database '{context.DbName}' is not allowed by {rule}",
            UnmetCondition.Mfa => $"{rule} requires MFA {requiredMfa.ToName()}; the session has {context.Mfa.ToName()}",
            UnmetCondition.SourceNetwork => $"{rule} does not allow source address {context.SourceAddress?.ToString() ?? "(unknown)"}",
            _ => $"{rule} is outside its time windows at {context.Time.ToString("O", CultureInfo.InvariantCulture)}",
        }, [rule], condition);

    public static Decision NoRoleAllows(string action, PolicyResource? resource) =>
        Deny(DecisionReason.NoRoleAllows, resource is null ? $"no role allows {action}" : $"no role allows {action} on '{resource.Name}'");

    /// <summary>Obligations merged over the allow rules that matched.</summary>
    public static Obligations Merge(IEnumerable<SessionSettings> sessions, IEnumerable<MfaLevel> mfa)
    {
        TimeSpan? ttl = null, idle = null;
        bool recording = false, moderated = false;
        foreach (var s in sessions)
        {
            if (s.MaxTtl is { } t && (ttl is null || t < ttl))
                ttl = t;
            if (s.IdleTimeout is { } i && (idle is null || i < idle))
                idle = i;
            recording |= s.RecordingRequired;
            moderated |= s.Moderated;
        }
        var level = mfa.DefaultIfEmpty(MfaLevel.None).Max();
        return new Obligations(ttl, level, recording, moderated, idle);
    }
}
