using System.Text;
using System.Text.RegularExpressions;
using Custos.Core.Identity;
using Custos.Core.Policy;

namespace Custos.Core.Tests.Policy;

/// <summary>
/// The decision semantics written out naively, straight from docs/policy.md: no index, no caches, every role and
/// resource looked at on every call, patterns matched per decision (wildcards through an escaped regular
/// expression, templates expanded by string substitution). The compiled engine must agree with it exactly.
/// </summary>
internal sealed class ReferenceEvaluator(
    IReadOnlyList<RoleDocument> roles,
    IReadOnlyList<RoleMapping> mappings,
    IReadOnlyList<PolicyResource> resources,
    ILockChecker? locks = null)
{
    public Decision Decide(PolicySubject subject, string action, string? resourceName, DecisionContext context)
    {
        if (!PolicyActions.All.Contains(action))
            return DecisionBuilder.UnknownAction(action);
        var kind = PolicyActions.KindOf(action);
        PolicyResource? resource = null;
        if (kind is not null)
        {
            if (resourceName is null)
                return DecisionBuilder.MissingResource(action);
            resource = resources.FirstOrDefault(r => r.Name == resourceName);
            if (resource is null)
                return DecisionBuilder.UnknownResource(resourceName);
            if (resource.Kind != kind)
                return DecisionBuilder.NotApplicable(action, resource);
        }
        if (locks?.FindLock(subject, action, resource) is { } description)
            return DecisionBuilder.Locked(description);

        var assigned = roles.Where(r => IsAssigned(r, subject)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var standing = assigned.Where(r => !r.RequiresRequest).ToList();
        var requestable = roles
            .Where(r => !standing.Contains(r)
                && ((assigned.Contains(r) && r.RequiresRequest) || r.RequestableBy.Any(by => standing.Any(s => s.Name == by))))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

        foreach (var role in assigned)
        {
            for (var i = 0; i < role.Deny.Count; i++)
            {
                if (DenyApplies(role.Deny[i], subject, action, kind, resource, context))
                    return DecisionBuilder.DeniedBy(new RuleRef(role.Name, role.DenyPath(i)));
            }
        }

        var allowed = new List<(RuleRef Ref, RoleRule Rule)>();
        (RuleRef Ref, RoleRule Rule, UnmetCondition Condition)? firstUnmet = null;
        foreach (var role in standing)
        {
            for (var i = 0; i < role.Allow.Count; i++)
            {
                var rule = role.Allow[i];
                if (!Covers(rule, action) || !ResourceMatches(rule, subject, resource))
                    continue;
                var failed = UnmetTarget(rule, subject, kind, context) ?? UnmetCondition(rule, context);
                var reference = new RuleRef(role.Name, role.AllowPath(i));
                if (failed is null)
                    allowed.Add((reference, rule));
                else
                    firstUnmet ??= (reference, rule, failed.Value);
            }
        }
        if (allowed.Count > 0)
        {
            return DecisionBuilder.Allowed(
                [.. allowed.Select(a => a.Ref)],
                DecisionBuilder.Merge(allowed.Select(a => a.Rule.Session), allowed.Select(a => a.Rule.Conditions.Mfa)));
        }

        var requestRoles = new List<string>();
        var requestRules = new List<RuleRef>();
        foreach (var role in requestable)
        {
            if (role.Deny.Any(d => DenyApplies(d, subject, action, kind, resource, context)))
                continue;
            for (var i = 0; i < role.Allow.Count; i++)
            {
                var rule = role.Allow[i];
                if (Covers(rule, action) && ResourceMatches(rule, subject, resource) && UnmetTarget(rule, subject, kind, context) is null)
                {
                    if (!requestRoles.Contains(role.Name))
                        requestRoles.Add(role.Name);
                    requestRules.Add(new RuleRef(role.Name, role.AllowPath(i)));
                }
            }
        }
        if (requestRoles.Count > 0)
            return DecisionBuilder.RequiresRequest(requestRoles, requestRules);
        if (firstUnmet is { } unmet)
            return DecisionBuilder.Unmet(unmet.Ref, unmet.Condition, unmet.Rule.Conditions.Mfa, context);
        return DecisionBuilder.NoRoleAllows(action, resource);
    }

    private bool IsAssigned(RoleDocument role, PolicySubject subject) =>
        subject.Roles.Contains(role.Name)
        || mappings.Any(m => m.Role == role.Name && subject.Traits.TryGetValue(m.TraitKey, out var values) && values.Contains(m.TraitValue));

    private static bool Covers(RoleRule rule, string action) =>
        rule.Actions.Any(a => a == "*" || a == action || (a.EndsWith(".*", StringComparison.Ordinal) && action.StartsWith(a[..^1], StringComparison.Ordinal)));

    private static bool DenyApplies(RoleRule rule, PolicySubject subject, string action, ResourceKind? kind, PolicyResource? resource, DecisionContext context)
    {
        if (!Covers(rule, action) || !ResourceMatches(rule, subject, resource))
            return false;
        return kind switch
        {
            ResourceKind.SshNode => Refuses(rule.Logins, subject, context.Login),
            ResourceKind.Database => Refuses(rule.DbUsers, subject, context.DbUser) && Refuses(rule.DbNames, subject, context.DbName),
            _ => true,
        };
    }

    private static bool Refuses(IReadOnlyList<PatternTemplate> targets, PolicySubject subject, string? value) =>
        targets.Count == 0 || (value is not null && targets.Any(t => TemplateMatches(t.Raw, subject, value)));

    private static UnmetCondition? UnmetTarget(RoleRule rule, PolicySubject subject, ResourceKind? kind, DecisionContext context)
    {
        if (kind == ResourceKind.SshNode && !Allows(rule.Logins, subject, context.Login))
            return Custos.Core.Policy.UnmetCondition.Login;
        if (kind == ResourceKind.Database)
        {
            if (!Allows(rule.DbUsers, subject, context.DbUser))
                return Custos.Core.Policy.UnmetCondition.DbUser;
            if (!Allows(rule.DbNames, subject, context.DbName))
                return Custos.Core.Policy.UnmetCondition.DbName;
        }
        return null;
    }

    private static bool Allows(IReadOnlyList<PatternTemplate> targets, PolicySubject subject, string? value) =>
        value is null
            ? targets.Any(t => Substitutions(t.Raw, subject).Any())
            : targets.Any(t => TemplateMatches(t.Raw, subject, value));

    private static UnmetCondition? UnmetCondition(RoleRule rule, DecisionContext context)
    {
        var c = rule.Conditions;
        if (context.Mfa < c.Mfa)
            return Custos.Core.Policy.UnmetCondition.Mfa;
        if (c.SourceNetworks.Count > 0)
        {
            var address = context.SourceAddress?.IsIPv4MappedToIPv6 == true ? context.SourceAddress.MapToIPv4() : context.SourceAddress;
            if (address is null || !c.SourceNetworks.Any(n => n.Contains(address)))
                return Custos.Core.Policy.UnmetCondition.SourceNetwork;
        }
        if (c.TimeWindows.Count > 0 && !c.TimeWindows.Any(w => w.Contains(context.Time)))
            return Custos.Core.Policy.UnmetCondition.TimeWindow;
        return null;
    }

    private static bool ResourceMatches(RoleRule rule, PolicySubject subject, PolicyResource? resource) =>
        resource is null
        || rule.Resources.Any(s => (s.Kind is null || s.Kind == resource.Kind) && s.Labels.All(l => LabelMatches(l, subject, resource)));

    private static bool LabelMatches(LabelConstraint constraint, PolicySubject subject, PolicyResource resource)
    {
        if (constraint.Key == "*")
            return true;
        var positives = constraint.Values.Where(v => !v.Negated).ToList();
        if (!resource.Labels.TryGetValue(constraint.Key, out var value))
            return positives.Count == 0;
        var positive = positives.Count == 0 || positives.Any(p => ValueMatches(p, subject, value));
        return positive && !constraint.Values.Where(v => v.Negated).Any(p => ValueMatches(p, subject, value));
    }

    private static bool ValueMatches(LabelPattern pattern, PolicySubject subject, string value)
    {
        var body = pattern.Negated ? pattern.Raw[1..] : pattern.Raw;
        if (body.Length >= 2 && body[0] == '/' && body[^1] == '/')
            return Regex.IsMatch(value, $"^(?:{body[1..^1]})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
        return TemplateMatches(body, subject, value);
    }

    /// <summary>Substitutes every template variable (trait lists multiply) and matches the result, '*' of the text being a wildcard.</summary>
    private static bool TemplateMatches(string text, PolicySubject subject, string value) =>
        Substitutions(text, subject).Any(regex => Regex.IsMatch(value, regex, RegexOptions.Singleline));

    private static readonly Regex Variable = new(@"\{\{\s*([^}]*?)\s*\}\}");

    /// <summary>Each expansion of <paramref name="text"/> as an anchored regular expression.</summary>
    private static IEnumerable<string> Substitutions(string text, PolicySubject subject)
    {
        var pieces = new List<List<string>>();
        var last = 0;
        foreach (Match m in Variable.Matches(text))
        {
            pieces.Add([Literal(text[last..m.Index])]);
            pieces.Add([.. VariableValues(m.Groups[1].Value, subject).Select(Regex.Escape)]);
            last = m.Index + m.Length;
        }
        pieces.Add([Literal(text[last..])]);
        IEnumerable<string> results = [""];
        foreach (var options in pieces)
            results = results.SelectMany(r => options.Select(o => r + o)).ToList();
        return results.Select(r => "^" + r + "$");
    }

    private static string Literal(string text) => string.Join(".*", text.Split('*').Select(Regex.Escape));

    private static IEnumerable<string> VariableValues(string variable, PolicySubject subject) => variable switch
    {
        "user.name" => [subject.Name],
        "user.id" => [subject.Id],
        "user.kind" => [subject.Kind.ToName()],
        _ => subject.Traits.TryGetValue(variable["user.traits.".Length..], out var values) ? values : [],
    };
}
