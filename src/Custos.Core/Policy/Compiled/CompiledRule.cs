using System.Net;

namespace Custos.Core.Policy.Compiled;

/// <summary>
/// A label constraint resolved to the set of known values it accepts: as strings (for the queries' posting lists) and
/// as a bit set over the key's value ids, so matching a resource is an array read and a bit test.
/// </summary>
internal sealed class CompiledLabel
{
    private readonly int _keyId;
    private readonly ulong[] _bits;

    public CompiledLabel(string key, HashSet<string> accepted, bool matchesMissing, bool matchAll, ResourceIndex index)
    {
        Key = key;
        Accepted = accepted;
        MatchesMissing = matchesMissing;
        MatchAll = matchAll;
        _keyId = index.KeyId(key);
        _bits = new ulong[(index.ValueCount(_keyId) + 63) / 64];
        foreach (var value in accepted)
        {
            var id = index.ValueId(_keyId, value);
            if (id >= 0)
                _bits[id >> 6] |= 1UL << (id & 63);
        }
    }

    public string Key { get; }

    public HashSet<string> Accepted { get; }

    /// <summary>Met by a resource without the label (the constraint has only negated patterns).</summary>
    public bool MatchesMissing { get; }

    public bool MatchAll { get; }

    /// <summary>The key's id in the index (-1 when no resource has the key).</summary>
    public int KeyId => _keyId;

    /// <summary>The accepted value ids as a bit set over the key's value ids.</summary>
    public ulong[] Bits => _bits;

    public bool Matches(CompiledResource resource)
    {
        if (MatchAll)
            return true;
        if (_keyId < 0)
            return MatchesMissing;
        var id = resource.Values[_keyId];
        return id < 0 ? MatchesMissing : (_bits[id >> 6] & (1UL << (id & 63))) != 0;
    }
}

internal sealed class CompiledSelector(ResourceKind? kind, CompiledLabel[] labels)
{
    public ResourceKind? Kind { get; } = kind;

    public CompiledLabel[] Labels { get; } = labels;

    public bool Matches(CompiledResource resource)
    {
        if (Kind is { } k && k != resource.Kind)
            return false;
        foreach (var label in Labels)
        {
            if (!label.Matches(resource))
                return false;
        }
        return true;
    }
}

/// <summary>Logins, database users or names of a rule after template expansion: exact values plus wildcard patterns.</summary>
internal sealed class CompiledTargets
{
    public static readonly CompiledTargets Unspecified = new([], false);

    public CompiledTargets(IReadOnlyList<GlobPattern> patterns, bool specified)
    {
        Specified = specified;
        Patterns = patterns;
        Exact = patterns.Where(p => p.IsExact).Select(p => p.ExactValue).ToHashSet(StringComparer.Ordinal);
        Globs = [.. patterns.Where(p => !p.IsExact)];
        Texts = [.. patterns.Select(p => p.ToString())];
    }

    /// <summary>The patterns as text (<c>deploy</c>, <c>dev_*</c>), for who-can and what-can.</summary>
    public string[] Texts { get; }

    /// <summary>The rule names this target at all (an allow rule without logins allows none; a deny rule without logins refuses all).</summary>
    public bool Specified { get; }

    public IReadOnlyList<GlobPattern> Patterns { get; }

    public HashSet<string> Exact { get; }

    public GlobPattern[] Globs { get; }

    public bool IsEmpty => Patterns.Count == 0;

    public bool Matches(string value)
    {
        if (Exact.Contains(value))
            return true;
        foreach (var glob in Globs)
        {
            if (glob.IsMatch(value))
                return true;
        }
        return false;
    }
}

/// <summary>
/// One allow or deny rule, compiled (for a subject when it holds trait templates): selectors, an action bit mask,
/// targets, conditions and session settings.
/// </summary>
internal sealed class CompiledRule
{
    public required RuleRef Ref { get; init; }

    public required RoleRule Source { get; init; }

    public required CompiledSelector[] Selectors { get; init; }

    public required ulong Actions { get; init; }

    public required CompiledTargets Logins { get; init; }

    public required CompiledTargets DbUsers { get; init; }

    public required CompiledTargets DbNames { get; init; }

    public required MfaLevel Mfa { get; init; }

    public required IPNetwork[] SourceNetworks { get; init; }

    public required TimeWindow[] TimeWindows { get; init; }

    public SessionSettings Session => Source.Session;

    /// <summary>This rule as a one-element list, allocated once (explanations of most decisions name one rule).</summary>
    public IReadOnlyList<RuleRef> RefList => _refList ??= [Ref];

    private RuleRef[]? _refList;
    private Decision? _denied;
    private Decision? _allowed;

    /// <summary>The decision of this deny rule, made once: it names only the rule.</summary>
    public Decision Denied => _denied ?? Publish(ref _denied, DecisionBuilder.DeniedBy(RefList));

    /// <summary>The decision when this allow rule is the only one that matched, made once: it names the rule and its obligations.</summary>
    public Decision AllowedAlone => _allowed ?? Publish(ref _allowed,
        DecisionBuilder.Allowed(RefList, new Obligations(Session.MaxTtl, Mfa, Session.RecordingRequired, Session.Moderated, Session.IdleTimeout)));

    /// <summary>The decision when several allow rules matched: their references, obligations merged.</summary>
    public static Decision AllowedTogether(IReadOnlyList<CompiledRule> allowed) =>
        DecisionBuilder.Allowed([.. allowed.Select(r => r.Ref)], DecisionBuilder.Merge(allowed.Select(r => r.Session), allowed.Select(r => r.Mfa)));

    private static Decision Publish(ref Decision? field, Decision made) => Interlocked.CompareExchange(ref field, made, null) ?? made;

    public RuleConditions Conditions => Source.Conditions;

    public bool HasAction(int id) => (Actions & (1UL << id)) != 0;

    /// <summary>Whether the rule covers the resource; admin actions (no resource) ignore selectors.</summary>
    public bool MatchesResource(CompiledResource? resource)
    {
        if (resource is null)
            return true;
        foreach (var selector in Selectors)
        {
            if (selector.Matches(resource))
                return true;
        }
        return false;
    }

    /// <summary>For an allow rule: the first target the request does not meet, or null.</summary>
    public UnmetCondition? UnmetTarget(ResourceKind? kind, DecisionContext context)
    {
        if (kind == ResourceKind.SshNode && !Allows(Logins, context.Login))
            return UnmetCondition.Login;
        if (kind == ResourceKind.Database)
        {
            if (!Allows(DbUsers, context.DbUser))
                return UnmetCondition.DbUser;
            if (!Allows(DbNames, context.DbName))
                return UnmetCondition.DbName;
        }
        return null;
    }

    private static bool Allows(CompiledTargets targets, string? value) =>
        value is null ? !targets.IsEmpty : targets.Matches(value);

    /// <summary>For an allow rule: the first condition the context does not meet, or null.</summary>
    public UnmetCondition? UnmetConditionOf(DecisionContext context)
    {
        if (context.Mfa < Mfa)
            return UnmetCondition.Mfa;
        if (SourceNetworks.Length > 0 && !InNetworks(context.SourceAddress))
            return UnmetCondition.SourceNetwork;
        if (TimeWindows.Length > 0 && !InWindows(context.Time))
            return UnmetCondition.TimeWindow;
        return null;
    }

    private bool InNetworks(IPAddress? address)
    {
        if (address is null)
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in SourceNetworks)
        {
            if (network.Contains(address))
                return true;
        }
        return false;
    }

    private bool InWindows(DateTimeOffset time)
    {
        foreach (var window in TimeWindows)
        {
            if (window.Contains(time))
                return true;
        }
        return false;
    }

    /// <summary>
    /// For a deny rule: whether it refuses the request's targets. A deny rule that names logins (database users,
    /// names) refuses only those, and only when the request names one; one that names none refuses them all.
    /// </summary>
    public bool DeniesTargets(ResourceKind? kind, DecisionContext context)
    {
        if (kind == ResourceKind.SshNode)
            return Refuses(Logins, context.Login);
        if (kind == ResourceKind.Database)
            return Refuses(DbUsers, context.DbUser) && Refuses(DbNames, context.DbName);
        return true;
    }

    private static bool Refuses(CompiledTargets targets, string? value) =>
        !targets.Specified || (value is not null && targets.Matches(value));

    /// <summary>A deny rule that refuses whatever the targets (used by who-can and what-can).</summary>
    public bool DeniesAllTargets => !Logins.Specified && !DbUsers.Specified && !DbNames.Specified;
}
