using System.Globalization;

namespace Custos.Core.Policy;

/// <summary>
/// Builds decisions and formats their messages. Shared by the engine and the test suite's reference evaluator so that
/// both produce the same explanation for the same reasons. Messages are formatted only when read.
/// </summary>
internal static class DecisionBuilder
{
    private static readonly IReadOnlyList<RuleRef> NoRules = [];
    private static readonly IReadOnlyList<string> NoRoles = [];

    private static Decision Deny(DecisionReason reason, ExplanationDetails details, IReadOnlyList<RuleRef>? rules = null, UnmetCondition? condition = null) =>
        new(Effect.Deny, false, NoRoles, Obligations.None, new Explanation(reason, rules ?? NoRules, condition, details));

    public static Decision UnknownAction(string action) => Deny(DecisionReason.UnknownAction, new(action, null, null, null, default, null));

    public static Decision MissingResource(string action) => Deny(DecisionReason.UnknownResource, new(action, null, null, null, default, null));

    public static Decision UnknownResource(string resource) => Deny(DecisionReason.UnknownResource, new(null, null, resource, null, default, null));

    public static Decision NotApplicable(string action, PolicyResource resource) =>
        Deny(DecisionReason.ActionNotApplicable, new(action, resource, null, null, default, null));

    public static Decision Locked(string description) => Deny(DecisionReason.Locked, new(null, null, description, null, default, null));

    public static Decision DeniedBy(RuleRef rule) => DeniedBy([rule]);

    public static Decision DeniedBy(IReadOnlyList<RuleRef> rule) => Deny(DecisionReason.DeniedByRule, default, rule);

    public static Decision Allowed(IReadOnlyList<RuleRef> rules, Obligations obligations) =>
        new(Effect.Allow, false, NoRoles, obligations, new Explanation(DecisionReason.Allowed, rules, null, default(ExplanationDetails)));

    public static Decision RequiresRequest(IReadOnlyList<string> roles, IReadOnlyList<RuleRef> rules) =>
        new(Effect.Deny, true, roles, Obligations.None,
            new Explanation(DecisionReason.RequiresRequest, rules, null, new ExplanationDetails(null, null, null, null, default, roles)));

    public static Decision Unmet(RuleRef rule, UnmetCondition condition, MfaLevel requiredMfa, DecisionContext context) =>
        Unmet([rule], condition, requiredMfa, context);

    public static Decision Unmet(IReadOnlyList<RuleRef> rule, UnmetCondition condition, MfaLevel requiredMfa, DecisionContext context) =>
        Deny(DecisionReason.ConditionUnmet, new(null, null, null, context, requiredMfa, null), rule, condition);

    public static Decision NoRoleAllows(string action, PolicyResource? resource) =>
        Deny(DecisionReason.NoRoleAllows, new(action, resource, null, null, default, null));

    internal static string Format(Explanation e, ExplanationDetails d)
    {
        var rule = e.Rules.Count > 0 ? e.Rules[0].ToString() : "";
        return e.Reason switch
        {
            DecisionReason.Allowed => $"allowed by {string.Join(", ", e.Rules)}",
            DecisionReason.UnknownAction => $"unknown action '{d.Action}'",
            DecisionReason.UnknownResource => d.Action is not null ? $"{d.Action} needs a resource" : $"resource '{d.Text}' is not in the inventory",
            DecisionReason.ActionNotApplicable => $"{d.Action} does not apply to {d.Resource!.Kind.ToName()} '{d.Resource.Name}'",
            DecisionReason.Locked => $"locked: {d.Text}",
            DecisionReason.DeniedByRule => $"denied by {rule}",
            DecisionReason.RequiresRequest => $"requires an approved request for role {string.Join(" or ", d.Roles!)}",
            DecisionReason.ConditionUnmet => UnmetMessage(rule, e.Condition!.Value, d.RequiredMfa, d.Context!),
            DecisionReason.NoRoleAllows => d.Resource is null ? $"no role allows {d.Action}" : $"no role allows {d.Action} on '{d.Resource.Name}'",
            _ => e.Reason.ToString(),
        };
    }

    private static string UnmetMessage(string rule, UnmetCondition condition, MfaLevel requiredMfa, DecisionContext context) => condition switch
    {
        UnmetCondition.Login => context.Login is null ? $"{rule} allows no login" : $"login '{context.Login}' is not allowed by {rule}",
        UnmetCondition.DbUser => context.DbUser is null ? $"{rule} allows no database user" : $"database user '{context.DbUser}' is not allowed by {rule}",
        UnmetCondition.DbName => context.DbName is null ? $"{rule} allows no database name" : $"database '{context.DbName}' is not allowed by {rule}",
        UnmetCondition.Mfa => $"{rule} requires MFA {requiredMfa.ToName()}; the session has {context.Mfa.ToName()}",
        UnmetCondition.SourceNetwork => $"{rule} does not allow source address {context.SourceAddress?.ToString() ?? "(unknown)"}",
        _ => $"{rule} is outside its time windows at {context.Time.ToString("O", CultureInfo.InvariantCulture)}",
    };

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
        var level = MfaLevel.None;
        foreach (var m in mfa)
        {
            if (m > level)
                level = m;
        }
        return new Obligations(ttl, level, recording, moderated, idle);
    }
}
