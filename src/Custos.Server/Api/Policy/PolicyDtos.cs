namespace Custos.Server.Api.Policy;

// The wire contract of the policy API (JSON, snake_case member names; times are RFC 3339 UTC strings; durations are
// Go-style strings such as "2h" or "15m"). The CLI deserialises these same records. docs/api.md describes them.

// ---- resources ----

/// <summary>A resource of the inventory. <see cref="Address"/> is <c>HOST:PORT</c> for ssh_node and database, null for app.</summary>
public sealed record ResourceDto(
    string Name,
    string Kind,
    string? Address,
    IReadOnlyList<string> Databases,
    string? HostKeyFingerprint,
    bool TrustHostCa,
    string? Url,
    IReadOnlyDictionary<string, string> Labels,
    long Revision,
    string CreatedAt,
    string UpdatedAt);

/// <summary>
/// <c>POST /v1/resources</c> (create) and <c>PUT /v1/resources/{name}</c> (replace; <see cref="Revision"/> required and
/// must be the stored one). <see cref="Address"/>: <c>HOST:PORT</c> (the port defaults to 22 for ssh_node and 5432 for
/// database); <see cref="Url"/> for app.
/// </summary>
public sealed record ResourceRequest(
    string? Name,
    string? Kind,
    string? Address,
    IReadOnlyList<string>? Databases,
    string? HostKeyFingerprint,
    bool? TrustHostCa,
    string? Url,
    IReadOnlyDictionary<string, string>? Labels,
    long? Revision);

public sealed record ResourceListResponse(IReadOnlyList<ResourceDto> Resources);

/// <summary><c>POST /v1/resources/import</c>: a YAML document in the export format (<c>kind: resources</c>).</summary>
public sealed record ResourceImportRequest(string Yaml);

public sealed record ResourceImportResponse(int Created, int Updated, int Unchanged);

/// <summary><c>GET /v1/resources/export</c>: every resource as one YAML document that import accepts.</summary>
public sealed record ResourceExportResponse(string Yaml, int Count);

// ---- roles ----

public sealed record RoleSummaryDto(string Name, string? Description, bool RequiresRequest, long Revision, string UpdatedAt, string UpdatedBy);

public sealed record RoleListResponse(IReadOnlyList<RoleSummaryDto> Roles);

/// <summary>A role: its canonical YAML (without the revision line) and its revision.</summary>
public sealed record RoleDto(string Name, string Yaml, long Revision, string UpdatedAt, string UpdatedBy);

/// <summary>
/// <c>POST /v1/roles</c> (create) and <c>PUT /v1/roles/{name}</c> (update). For an update the expected revision is
/// <see cref="Revision"/>, else the document's own <c>revision:</c> key; one of them is required. Add
/// <c>?dry_run=true</c> to validate, lint and diff without storing.
/// </summary>
public sealed record RoleWriteRequest(string Yaml, long? Revision);

/// <summary>A linter finding (<c>POL001</c> …) on a role document.</summary>
public sealed record LintFindingDto(string Code, string Path, string Message, string Severity);

/// <summary>
/// The answer to a role write: the stored role (null on a dry run), the linter's findings, and a full line diff from
/// the stored canonical document to the new one (<c>- </c> removed, <c>+ </c> added, two spaces kept; everything
/// added for a create; empty when nothing changes).
/// </summary>
public sealed record RoleWriteResponse(bool DryRun, bool Changed, RoleDto? Role, IReadOnlyList<LintFindingDto> Findings, string Diff);

// ---- role mappings ----

/// <summary>Every identity whose trait <see cref="Trait"/> holds <see cref="Value"/> is assigned <see cref="Role"/>.</summary>
public sealed record RoleMappingDto(string Trait, string Value, string Role);

public sealed record RoleMappingListResponse(IReadOnlyList<RoleMappingDto> Mappings);

// ---- questions ----

/// <summary>
/// <c>POST /v1/access/check</c>. <see cref="User"/> defaults to the caller; asking about someone else needs
/// <c>audit.read</c>. <see cref="At"/> is RFC 3339 (default now); <see cref="Mfa"/> is none, login or per_session
/// (default none); <see cref="From"/> an IP address.
/// </summary>
public sealed record AccessCheckRequest(
    string? User,
    string Action,
    string? Resource,
    string? Login,
    string? DbUser,
    string? DbName,
    string? From,
    string? At,
    string? Mfa);

public sealed record ObligationsDto(string? MaxTtl, string Mfa, bool Recording, bool Moderated, string? IdleTimeout);

public sealed record RuleRefDto(string Role, string Rule);

public sealed record ExplanationDto(string Reason, string Message, IReadOnlyList<RuleRefDto> Rules, string? Condition);

/// <summary>The decision: <see cref="Decision"/> is <c>allow</c> or <c>deny</c>; <see cref="Requestable"/> when a request could allow it.</summary>
public sealed record AccessCheckResponse(
    string User,
    string Action,
    string? Resource,
    string Decision,
    bool Requestable,
    IReadOnlyList<string> RequestableRoles,
    ObligationsDto? Obligations,
    ExplanationDto Explanation,
    string At);

/// <summary>The conditions of an allow rule: MFA level, source networks, time windows (as written in the role).</summary>
public sealed record ConditionsDto(string Mfa, IReadOnlyList<string> SourceNetworks, IReadOnlyList<string> TimeWindows);

public sealed record RoleAccessDto(string Role, string Mode, IReadOnlyList<RuleRefDto> Rules, IReadOnlyList<ConditionsDto> Conditions, bool DependsOnTraits);

public sealed record SubjectAccessDto(string Id, string Name, string Kind, string Mode, IReadOnlyList<string> Roles, IReadOnlyList<ConditionsDto> Conditions, IReadOnlyList<string> Logins);

/// <summary><c>GET /v1/access/who-can?action=A&amp;resource=R</c> (needs <c>audit.read</c>). Mode is standing or request.</summary>
public sealed record WhoCanResponse(string Action, string? Resource, IReadOnlyList<RoleAccessDto> Roles, IReadOnlyList<SubjectAccessDto> Subjects);

/// <summary>
/// A resource a subject can reach, with what it takes to connect to it: <see cref="Address"/> (<c>HOST:PORT</c>, not
/// for apps) and, for SSH nodes, how its host key is trusted (<see cref="TrustHostCa"/>, or a registered
/// <see cref="HostKeyFingerprint"/>) — what <c>custos config ssh</c> needs without <c>resources.read</c>.
/// </summary>
public sealed record ReachableResourceDto(
    string Name,
    string Kind,
    string Mode,
    IReadOnlyList<string> Actions,
    IReadOnlyList<string> Logins,
    IReadOnlyList<string> DbUsers,
    IReadOnlyList<string> DbNames,
    IReadOnlyList<string> Roles,
    IReadOnlyList<ConditionsDto> Conditions,
    string? Address = null,
    string? HostKeyFingerprint = null,
    bool TrustHostCa = false);

/// <summary>
/// <c>GET /v1/access/what-can?user=U</c> (default: the caller; someone else needs <c>audit.read</c>). Resources are
/// marked standing (reachable now, subject to conditions) or request (needs an approved request).
/// </summary>
public sealed record WhatCanResponse(
    string User,
    IReadOnlyList<string> StandingRoles,
    IReadOnlyList<string> RequestableRoles,
    IReadOnlyList<ReachableResourceDto> Resources,
    IReadOnlyList<string> StandingAdminActions,
    IReadOnlyList<string> RequestableAdminActions);
