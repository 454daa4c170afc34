namespace Custos.Core.Policy;

/// <summary>Whether access is held now (standing) or needs an approved request.</summary>
public enum AccessMode
{
    Standing,
    Request,
}

/// <summary>
/// A role that could allow an action on a resource: <see cref="Mode"/> says whether holding it is enough, the rules
/// and their conditions say when. <see cref="DependsOnTraits"/> marks rules with trait templates, which match only
/// for subjects whose traits fit.
/// </summary>
public sealed record RoleAccess(string Role, AccessMode Mode, IReadOnlyList<RuleRef> Rules, IReadOnlyList<RuleConditions> Conditions, bool DependsOnTraits);

/// <summary>An identity that could do the action: through which roles, standing or by request, under which conditions, with which logins.</summary>
public sealed record SubjectAccess(
    string Id,
    string Name,
    AccessMode Mode,
    IReadOnlyList<string> Roles,
    IReadOnlyList<RuleConditions> Conditions,
    IReadOnlyList<string> Logins);

/// <summary>Answer to <c>custos access who-can ACTION RESOURCE</c>.</summary>
public sealed record WhoCanResult(string Action, string? Resource, IReadOnlyList<RoleAccess> Roles, IReadOnlyList<SubjectAccess> Subjects);

/// <summary>A resource a subject can reach: the actions and logins (or database users and names), standing or by request.</summary>
public sealed record ReachableResource(
    string Name,
    ResourceKind Kind,
    AccessMode Mode,
    IReadOnlyList<string> Actions,
    IReadOnlyList<string> Logins,
    IReadOnlyList<string> DbUsers,
    IReadOnlyList<string> DbNames,
    IReadOnlyList<string> Roles,
    IReadOnlyList<RuleConditions> Conditions);

/// <summary>Answer to <c>custos access what-can USER</c>.</summary>
public sealed record WhatCanResult(
    string SubjectId,
    IReadOnlyList<string> StandingRoles,
    IReadOnlyList<string> RequestableRoles,
    IReadOnlyList<ReachableResource> Resources,
    IReadOnlyList<string> StandingAdminActions,
    IReadOnlyList<string> RequestableAdminActions);
