using System.Net;

namespace Custos.Core.Policy;

/// <summary>
/// A role as written in YAML (<c>kind: role</c>), after validation. <see cref="Allow"/> and <see cref="Deny"/> hold the
/// document's rules in order; a document may write each block as one mapping (the issue's shape) or as a list of
/// mappings. Parse with <see cref="RoleParser"/>; <see cref="ToCanonicalYaml"/> gives the canonical text used for
/// digests and diffs.
/// </summary>
public sealed record RoleDocument(
    string Name,
    string? Description,
    IReadOnlyList<RoleRule> Allow,
    IReadOnlyList<RoleRule> Deny,
    bool RequiresRequest = false,
    RequestSettings? Request = null)
{
    /// <summary>
    /// The stored revision the document was read at, when it says (<c>revision: N</c>, as <c>custos admin roles get</c>
    /// prints it): an update names it for optimistic concurrency. Not part of the canonical text.
    /// </summary>
    public long? Revision { get; init; }

    /// <summary>The path of an allow rule in the canonical document: <c>allow</c> for a single rule, else <c>allow[i]</c>.</summary>
    public string AllowPath(int index) => Allow.Count == 1 ? "allow" : $"allow[{index}]";

    public string DenyPath(int index) => Deny.Count == 1 ? "deny" : $"deny[{index}]";

    /// <summary>Role names a subject may request this role through (holders of any of them), besides its assignees.</summary>
    public IReadOnlyList<string> RequestableBy => Request?.RequestableBy ?? [];

    public string ToCanonicalYaml() => RoleCanonicalWriter.Write(this);
}

/// <summary>
/// An allow or deny rule: the resources and actions it covers, the Unix logins and database users and names it
/// permits (or, in a deny rule, refuses), and for allow rules the conditions that gate it and the session settings
/// that become obligations. Admin actions ignore <see cref="Resources"/>.
/// </summary>
public sealed record RoleRule(
    IReadOnlyList<ResourceSelector> Resources,
    IReadOnlyList<string> Actions,
    IReadOnlyList<PatternTemplate> Logins,
    IReadOnlyList<PatternTemplate> DbUsers,
    IReadOnlyList<PatternTemplate> DbNames,
    RuleConditions Conditions,
    SessionSettings Session)
{
    /// <summary>The known actions the rule's entries (with <c>*</c> and <c>prefix.*</c>) stand for.</summary>
    public IReadOnlySet<string> ExpandedActions => Actions.SelectMany(PolicyActions.Expand).ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// Selects resources: of <see cref="Kind"/> (any kind when null) whose labels meet every constraint. A selector without
/// constraints selects every resource of its kind.
/// </summary>
public sealed record ResourceSelector(ResourceKind? Kind, IReadOnlyList<LabelConstraint> Labels);

/// <summary>
/// A label key and the values it accepts. The resource's value must match one of the positive patterns (if there are
/// any) and none of the negated ones. A resource without the label meets a constraint that has only negated patterns
/// (it is "not prod") and no other. The key <c>*</c> with the value <c>*</c> matches every resource.
/// </summary>
public sealed record LabelConstraint(string Key, IReadOnlyList<LabelPattern> Values)
{
    public bool IsMatchAll => Key == "*";
}

/// <summary>The conditions that gate an allow rule: MFA the session has satisfied, source networks, time windows.</summary>
public sealed record RuleConditions(MfaLevel Mfa, IReadOnlyList<IPNetwork> SourceNetworks, IReadOnlyList<TimeWindow> TimeWindows)
{
    public static RuleConditions None { get; } = new(MfaLevel.None, [], []);

    public bool IsEmpty => Mfa == MfaLevel.None && SourceNetworks.Count == 0 && TimeWindows.Count == 0;

    public override string ToString()
    {
        var parts = new List<string>();
        if (Mfa != MfaLevel.None)
            parts.Add($"mfa {Mfa.ToName()}");
        if (SourceNetworks.Count > 0)
            parts.Add($"from {string.Join(", ", SourceNetworks)}");
        if (TimeWindows.Count > 0)
            parts.Add($"during {string.Join(" or ", TimeWindows.Select(w => $"{w.Days} {w.Hours} {w.Zone.Id}"))}");
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }
}

/// <summary>Session settings of an allow rule; they become the decision's obligations.</summary>
public sealed record SessionSettings(TimeSpan? MaxTtl, bool RecordingRequired, bool Moderated, TimeSpan? IdleTimeout)
{
    public static SessionSettings None { get; } = new(null, false, false, null);
}

/// <summary>How the role is requested: who may request it and who reviews (roles and the number of approvals).</summary>
public sealed record RequestSettings(IReadOnlyList<string> RequestableBy, IReadOnlyList<string> ReviewerRoles, int Approvals);
