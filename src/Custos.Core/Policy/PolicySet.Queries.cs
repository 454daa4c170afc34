using Custos.Core.Policy.Compiled;

namespace Custos.Core.Policy;

/// <summary>
/// The questions people ask over the compiled set. They ignore conditions (listing them instead) and locks, and apply
/// deny rules that refuse whatever the login or database target is; a deny rule that names logins removes those logins.
/// </summary>
public sealed partial class PolicySet
{
    /// <summary>Every role and identity (of <paramref name="subjects"/>) that could do the action, now or through a request.</summary>
    public WhoCanResult WhoCan(string action, string? resource, IEnumerable<PolicySubject> subjects)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(subjects);
        if (!PolicyActions.TryGetId(action, out var actionId))
            throw new ArgumentException($"Unknown action '{action}'.", nameof(action));
        var kind = PolicyActions.KindOf(action);
        CompiledResource? target = null;
        if (kind is not null && (resource is null || !_index.TryGet(resource, out target) || target.Resource.Kind != kind))
            return new WhoCanResult(action, resource, [], []);

        var roles = new List<RoleAccess>();
        foreach (var role in _roles.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            if (role.StaticDeny.Any(d => d.Rule is { } rule && rule.HasAction(actionId) && rule.DeniesAllTargets && rule.MatchesResource(target)))
                continue;
            var matched = role.StaticAllow
                .Where(a => a.Rule is null ? RuleCompiler.ActionMask(a.Source) is var m && (m & (1UL << actionId)) != 0 : a.Rule.HasAction(actionId) && a.Rule.MatchesResource(target))
                .ToList();
            if (matched.Count == 0)
                continue;
            var mode = role.RequiresRequest ? AccessMode.Request : AccessMode.Standing;
            roles.Add(new RoleAccess(role.Name, mode, [.. matched.Select(m => m.Ref)], Conditions(matched.Select(m => m.Source.Conditions)), matched.Any(m => m.Rule is null)));
        }

        var people = new List<SubjectAccess>();
        foreach (var subject in subjects)
        {
            var rules = Resolve(subject).ByAction[actionId];
            if (rules.Deny.Any(d => d.DeniesAllTargets && d.MatchesResource(target)))
                continue;
            var standing = rules.Allow.Where(a => a.MatchesResource(target)).ToList();
            if (standing.Count > 0)
            {
                people.Add(new SubjectAccess(subject.Id, subject.Name, AccessMode.Standing,
                    [.. standing.Select(r => r.Ref.Role).Distinct(StringComparer.Ordinal)],
                    Conditions(standing.Select(r => r.Conditions)), Logins(standing, rules.Deny, target)));
                continue;
            }
            var viaRequest = rules.Requestable
                .Where(r => !r.Deny.Any(d => d.DeniesAllTargets && d.MatchesResource(target)))
                .Select(r => (r.Name, Rules: r.Allow.Where(a => a.MatchesResource(target)).ToList()))
                .Where(r => r.Rules.Count > 0)
                .ToList();
            if (viaRequest.Count > 0)
            {
                var all = viaRequest.SelectMany(r => r.Rules).ToList();
                people.Add(new SubjectAccess(subject.Id, subject.Name, AccessMode.Request, [.. viaRequest.Select(r => r.Name)],
                    Conditions(all.Select(r => r.Conditions)), Logins(all, rules.Deny, target)));
            }
        }
        return new WhoCanResult(action, target?.Resource.Name ?? resource, roles, people);
    }

    /// <summary>The resources (with actions and logins) and admin actions a subject can reach, standing or by request.</summary>
    public WhatCanResult WhatCan(PolicySubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var resolved = Resolve(subject);
        var standing = Reach(resolved.AllAllow, resolved.AllDeny);
        var requestable = new Dictionary<int, Reached>();
        foreach (var role in resolved.AllRequestable)
        {
            foreach (var (id, reached) in Reach(role.Allow, [.. resolved.AllDeny, .. role.Deny]))
            {
                if (standing.TryGetValue(id, out var held))
                    reached.Actions &= ~held.Actions;
                if (reached.Actions == 0)
                    continue;
                if (requestable.TryGetValue(id, out var existing))
                    existing.Add(reached);
                else
                    requestable[id] = reached;
            }
        }
        var resources = standing.Select(p => Describe(p.Key, p.Value, AccessMode.Standing))
            .Concat(requestable.Select(p => Describe(p.Key, p.Value, AccessMode.Request)))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Mode)
            .ToList();
        var standingAdmin = AdminActions(resolved.AllAllow, resolved.AllDeny);
        var requestableAdmin = resolved.AllRequestable
            .SelectMany(r => AdminActions(r.Allow, [.. resolved.AllDeny, .. r.Deny]))
            .Except(standingAdmin).Distinct().ToList();
        return new WhatCanResult(subject.Id, resolved.StandingRoles, resolved.RequestableRoles, resources, standingAdmin, requestableAdmin);
    }

    private static List<string> AdminActions(IEnumerable<CompiledRule> allow, CompiledRule[] deny)
    {
        ulong mask = 0;
        foreach (var rule in allow)
            mask |= rule.Actions;
        foreach (var rule in deny)
            mask &= ~rule.Actions;
        return [.. PolicyActions.All.Where((a, i) => (mask & (1UL << i)) != 0 && PolicyActions.KindOf(a) is null)];
    }

    /// <summary>The resources the allow rules reach, found through the label index (never a scan of every resource of every rule).</summary>
    private Dictionary<int, Reached> Reach(IEnumerable<CompiledRule> allow, CompiledRule[] deny)
    {
        var reached = new Dictionary<int, Reached>();
        foreach (var rule in allow)
        {
            foreach (var selector in rule.Selectors)
            {
                foreach (var id in Candidates(selector))
                {
                    var resource = _index.All[id];
                    if (!selector.Matches(resource))
                        continue;
                    var actions = rule.Actions & KindMasks[(int)resource.Kind];
                    if (actions == 0)
                        continue;
                    if (!reached.TryGetValue(id, out var entry))
                        reached[id] = entry = new Reached();
                    entry.Add(rule, actions);
                }
            }
        }
        foreach (var (id, entry) in reached)
        {
            var resource = _index.All[id];
            foreach (var rule in deny)
            {
                if (!rule.MatchesResource(resource))
                    continue;
                if (rule.DeniesAllTargets)
                    entry.Actions &= ~rule.Actions;
                else
                    entry.Logins.ExceptWith(rule.Logins.Exact);
            }
        }
        foreach (var id in reached.Where(p => p.Value.Actions == 0).Select(p => p.Key).ToList())
            reached.Remove(id);
        return reached;
    }

    /// <summary>The smallest candidate list for a selector: the posting lists of its most selective constraint, or its kind.</summary>
    private IEnumerable<int> Candidates(CompiledSelector selector)
    {
        CompiledLabel? best = null;
        var bestCount = long.MaxValue;
        foreach (var label in selector.Labels)
        {
            if (label.MatchAll || label.MatchesMissing)
                continue;
            long count = 0;
            foreach (var value in label.Accepted)
                count += _index.Posting(label.Key, value)?.Count ?? 0;
            if (count < bestCount)
            {
                best = label;
                bestCount = count;
            }
        }
        if (best is not null)
            return best.Accepted.SelectMany(v => (IEnumerable<int>?)_index.Posting(best.Key, v) ?? []);
        return selector.Kind is { } kind ? _index.ByKind[(int)kind] : _index.ByKind.SelectMany(ids => ids);
    }

    private static readonly ulong[] KindMasks = [KindMask(ResourceKind.SshNode), KindMask(ResourceKind.Database), KindMask(ResourceKind.App)];

    private static ulong KindMask(ResourceKind kind)
    {
        ulong mask = 0;
        for (var i = 0; i < PolicyActions.Count; i++)
        {
            if (PolicyActions.KindOf(PolicyActions.All[i]) == kind)
                mask |= 1UL << i;
        }
        return mask;
    }

    private ReachableResource Describe(int id, Reached reached, AccessMode mode)
    {
        var resource = _index.All[id].Resource;
        return new ReachableResource(resource.Name, resource.Kind, mode,
            [.. PolicyActions.All.Where((_, i) => (reached.Actions & (1UL << i)) != 0)],
            [.. reached.Logins.Order(StringComparer.Ordinal)],
            [.. reached.DbUsers.Order(StringComparer.Ordinal)],
            [.. reached.DbNames.Order(StringComparer.Ordinal)],
            [.. reached.Roles.Order(StringComparer.Ordinal)],
            Conditions(reached.Conditions));
    }

    private static List<string> Logins(IEnumerable<CompiledRule> allow, CompiledRule[] deny, CompiledResource? target)
    {
        var logins = allow.SelectMany(r => r.Logins.Texts).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in deny.Where(d => d.MatchesResource(target)))
            logins.ExceptWith(rule.Logins.Exact);
        return [.. logins.Order(StringComparer.Ordinal)];
    }

    private static List<RuleConditions> Conditions(IEnumerable<RuleConditions> conditions) =>
        [.. conditions.Where(c => !c.IsEmpty).Distinct()];

    /// <summary>What a subject's rules reach on one resource, accumulated over rules.</summary>
    private sealed class Reached
    {
        public ulong Actions { get; set; }

        public HashSet<string> Logins { get; } = new(StringComparer.Ordinal);

        public HashSet<string> DbUsers { get; } = new(StringComparer.Ordinal);

        public HashSet<string> DbNames { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Roles { get; } = new(StringComparer.Ordinal);

        public List<RuleConditions> Conditions { get; } = [];

        public void Add(CompiledRule rule, ulong actions)
        {
            Actions |= actions;
            Logins.UnionWith(rule.Logins.Texts);
            DbUsers.UnionWith(rule.DbUsers.Texts);
            DbNames.UnionWith(rule.DbNames.Texts);
            Roles.Add(rule.Ref.Role);
            if (!rule.Conditions.IsEmpty && !Conditions.Contains(rule.Conditions))
                Conditions.Add(rule.Conditions);
        }

        public void Add(Reached other)
        {
            Actions |= other.Actions;
            Logins.UnionWith(other.Logins);
            DbUsers.UnionWith(other.DbUsers);
            DbNames.UnionWith(other.DbNames);
            Roles.UnionWith(other.Roles);
            Conditions.AddRange(other.Conditions.Where(c => !Conditions.Contains(c)));
        }
    }
}
