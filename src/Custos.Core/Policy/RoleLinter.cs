namespace Custos.Core.Policy;

public enum LintSeverity
{
    Warning,
    Notice,
}

/// <summary>A dangerous pattern in a role document: a stable code, the path of the rule and what is risky about it.</summary>
public sealed record LintFinding(string Code, string Path, string Message, LintSeverity Severity = LintSeverity.Warning)
{
    public override string ToString() => $"{Code} {Path}: {Message}";
}

/// <summary>
/// Warns about roles that are valid but risky (the codes are documented in docs/policy.md):
/// <list type="bullet">
/// <item>POL001 <c>root</c> (or <c>*</c>) login on every node;</item>
/// <item>POL002 production (<c>env: prod</c>) access without MFA;</item>
/// <item>POL003 production session access without recording;</item>
/// <item>POL004 admin actions that change state in a standing role (no <c>requires_request</c>);</item>
/// <item>POL005 the action wildcard <c>*</c>;</item>
/// <item>POL006 a resource selector that matches every resource.</item>
/// </list>
/// </summary>
public static class RoleLinter
{
    private static readonly string[] ProductionValues = ["prod", "production"];

    public static IReadOnlyList<LintFinding> Lint(RoleDocument role)
    {
        ArgumentNullException.ThrowIfNull(role);
        var findings = new List<LintFinding>();
        for (var i = 0; i < role.Allow.Count; i++)
            LintAllow(role, role.Allow[i], role.AllowPath(i), findings);
        return findings;
    }

    private static void LintAllow(RoleDocument role, RoleRule rule, string path, List<LintFinding> findings)
    {
        var actions = rule.ExpandedActions;
        var sessionActions = actions.Any(a => PolicyActions.KindOf(a) is ResourceKind.SshNode or ResourceKind.Database);
        if (rule.Actions.Contains("*"))
            findings.Add(new("POL005", $"{path}.actions", "the wildcard '*' allows every action, including future ones and admin actions; list the actions"));

        var everySshNode = rule.Resources.Any(s => s.Kind is null or ResourceKind.SshNode && MatchesEverything(s));
        var rootLogin = rule.Logins.FirstOrDefault(l => !l.HasTemplate && (l.IsAny || l.ToGlob().IsMatch("root")));
        if (rootLogin is not null && everySshNode && actions.Any(a => PolicyActions.KindOf(a) == ResourceKind.SshNode))
            findings.Add(new("POL001", $"{path}.logins", $"login '{rootLogin.Raw}' reaches root on every node; scope the resources with labels"));

        if (rule.Resources.Any(MatchesEverything) && actions.Any(a => PolicyActions.KindOf(a) is not null))
            findings.Add(new("POL006", $"{path}.resources", "a selector without labels matches every resource of its kind, including production", LintSeverity.Notice));

        var production = rule.Resources.Any(TouchesProduction);
        if (production && rule.Conditions.Mfa == MfaLevel.None)
            findings.Add(new("POL002", $"{path}.conditions.mfa", "production access without MFA; set mfa: per_session (or login)"));
        if (production && sessionActions && !rule.Session.RecordingRequired)
            findings.Add(new("POL003", $"{path}.session.recording", "production sessions without recording; set recording: required"));

        var adminWrites = actions.Where(PolicyActions.IsAdminWrite).Order(StringComparer.Ordinal).ToList();
        if (adminWrites.Count > 0 && !role.RequiresRequest)
            findings.Add(new("POL004", $"{path}.actions", $"standing admin actions ({string.Join(", ", adminWrites)}) without requires_request; make the role requestable"));
    }

    /// <summary>No label constraints, or only <c>'*': '*'</c> or values that are all <c>*</c>.</summary>
    private static bool MatchesEverything(ResourceSelector selector) =>
        selector.Labels.All(l => l.IsMatchAll);

    /// <summary>Whether the selector may select a resource labelled <c>env: prod</c> (or <c>production</c>).</summary>
    private static bool TouchesProduction(ResourceSelector selector)
    {
        var env = selector.Labels.FirstOrDefault(l => l.Key == "env");
        if (env is null)
            return false;
        return ProductionValues.Any(value =>
        {
            var positives = env.Values.Where(v => !v.Negated).ToList();
            var positive = positives.Count == 0 || positives.Any(v => v.HasTemplate || v.MatchesBody(value, onTimeout: true));
            var negative = env.Values.Any(v => v.Negated && !v.HasTemplate && v.MatchesBody(value, onTimeout: false));
            return positive && !negative;
        });
    }
}
