namespace Custos.Core.Policy.Compiled;

/// <summary>
/// Compiles a rule of a role document against the resource index: label patterns become sets of accepted values,
/// actions a bit mask, logins and database targets sets of exact values plus wildcards. A rule with trait templates
/// is compiled once per subject signature (see <see cref="SubjectResolver"/>); one without is compiled once.
/// </summary>
internal static class RuleCompiler
{
    public static bool HasTemplates(RoleRule rule) =>
        rule.Resources.Any(s => s.Labels.Any(l => l.Values.Any(v => v.HasTemplate)))
        || rule.Logins.Any(t => t.HasTemplate) || rule.DbUsers.Any(t => t.HasTemplate) || rule.DbNames.Any(t => t.HasTemplate);

    public static IEnumerable<string> Variables(RoleRule rule) =>
        rule.Resources.SelectMany(s => s.Labels).SelectMany(l => l.Values).Where(v => v.Template is not null).SelectMany(v => v.Template!.Variables)
            .Concat(rule.Logins.Concat(rule.DbUsers).Concat(rule.DbNames).SelectMany(t => t.Variables));

    public static ulong ActionMask(RoleRule rule)
    {
        ulong mask = 0;
        foreach (var action in rule.ExpandedActions)
        {
            if (PolicyActions.TryGetId(action, out var id))
                mask |= 1UL << id;
        }
        return mask;
    }

    public static CompiledRule Compile(RoleRule rule, RuleRef reference, bool isDeny, PolicySubject? subject, ResourceIndex index) => new()
    {
        Ref = reference,
        Source = rule,
        Selectors = [.. rule.Resources.Select(s => new CompiledSelector(s.Kind, [.. s.Labels.Select(l => CompileLabel(l, isDeny, subject, index))]))],
        Actions = ActionMask(rule),
        Logins = Targets(rule.Logins, subject),
        DbUsers = Targets(rule.DbUsers, subject),
        DbNames = Targets(rule.DbNames, subject),
        Mfa = rule.Conditions.Mfa,
        SourceNetworks = [.. rule.Conditions.SourceNetworks],
        TimeWindows = [.. rule.Conditions.TimeWindows],
    };

    private static CompiledTargets Targets(IReadOnlyList<PatternTemplate> templates, PolicySubject? subject) =>
        templates.Count == 0
            ? CompiledTargets.Unspecified
            : new CompiledTargets([.. templates.SelectMany(t => Expand(t, subject)).Distinct()], specified: true);

    private static IReadOnlyList<GlobPattern> Expand(PatternTemplate template, PolicySubject? subject) =>
        template.HasTemplate ? template.Expand(subject ?? throw new InvalidOperationException("A templated rule needs a subject.")) : [template.ToGlob()];

    /// <summary>
    /// The accepted values of a constraint: the known values matching a positive pattern (all, when there is none)
    /// minus those matching a negated one. A regex that times out fails closed: it neither widens an allow rule nor
    /// narrows a deny rule.
    /// </summary>
    internal static CompiledLabel CompileLabel(LabelConstraint constraint, bool isDeny, PolicySubject? subject, ResourceIndex index)
    {
        if (constraint.IsMatchAll)
            return new CompiledLabel(constraint.Key, [], matchesMissing: true, matchAll: true, index);
        var key = constraint.Key;
        var hasPositive = constraint.Values.Any(v => !v.Negated);
        HashSet<string> accepted;
        if (hasPositive)
        {
            accepted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pattern in constraint.Values.Where(v => !v.Negated))
                AddMatches(accepted, pattern, key, onTimeout: isDeny, subject, index, exactOnlyKnown: false);
        }
        else
        {
            accepted = index.ValuesOf(key).ToHashSet(StringComparer.Ordinal);
        }
        foreach (var pattern in constraint.Values.Where(v => v.Negated))
        {
            var excluded = new HashSet<string>(StringComparer.Ordinal);
            AddMatches(excluded, pattern, key, onTimeout: !isDeny, subject, index, exactOnlyKnown: true);
            accepted.ExceptWith(excluded);
        }
        return new CompiledLabel(key, accepted, matchesMissing: !hasPositive, matchAll: false, index);
    }

    private static void AddMatches(HashSet<string> into, LabelPattern pattern, string key, bool onTimeout, PolicySubject? subject, ResourceIndex index, bool exactOnlyKnown)
    {
        if (pattern.IsRegex)
        {
            into.UnionWith(index.MatchRegex(key, pattern, onTimeout));
            return;
        }
        foreach (var glob in Expand(pattern.Template!, subject))
        {
            if (glob.IsExact)
            {
                if (!exactOnlyKnown || index.Posting(key, glob.ExactValue) is not null)
                    into.Add(glob.ExactValue);
            }
            else
            {
                into.UnionWith(index.MatchGlob(key, glob));
            }
        }
    }
}
