using Custos.Core.Policy;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Server.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api.Policy;

/// <summary>
/// The policy API: the resource inventory, role documents, role mappings (each guarded by the admin action the
/// policy engine must allow: <c>resources.read|write</c>, <c>roles.read|write</c>), and the access questions (any
/// session about itself; about others with <c>audit.read</c>). See docs/api.md and docs/policy.md.
/// </summary>
public static class PolicyEndpoints
{
    /// <summary>Role documents are at most 64 KiB of YAML; the JSON around them adds a little.</summary>
    private const long MaxRoleBody = 128 * 1024;

    public static IEndpointRouteBuilder MapPolicy(this IEndpointRouteBuilder app)
    {
        var resources = app.MapGroup("/v1/resources").WithTags("resources");
        resources.MapGet("", (string? kind, [FromQuery(Name = "label")] string[]? label, PolicyAdminService admin, CancellationToken ct) => admin.ListResourcesAsync(kind, label, ct))
            .RequireAction(PolicyActions.ResourcesRead).WithName("ListResources").Produces<ResourceListResponse>()
            .WithSummary("The inventory, optionally of one kind and with every given label (label=k=v, repeatable).");
        resources.MapPost("", (HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<ResourceRequest>(http, runtime, runtime.Options.HttpMaxBodyBytes, (r, info) => admin.CreateResourceAsync(http.Principal(), r, info, ct), ct))
            .RequireAction(PolicyActions.ResourcesWrite).WithName("CreateResource").Accepts<ResourceRequest>("application/json").Produces<ResourceDto>(201)
            .ProducesProblem(400).ProducesProblem(409).WithSummary("Register a resource (ssh_node, database or app).");
        resources.MapGet("/export", (PolicyAdminService admin, CancellationToken ct) => admin.ExportResourcesAsync(ct))
            .RequireAction(PolicyActions.ResourcesRead).WithName("ExportResources").Produces<ResourceExportResponse>()
            .WithSummary("Every resource as one YAML document that import accepts.");
        resources.MapPost("/import", (HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<ResourceImportRequest>(http, runtime, runtime.Options.PolicyImportMaxBytes, (r, info) => admin.ImportResourcesAsync(http.Principal(), r, info, ct), ct))
            .RequireAction(PolicyActions.ResourcesWrite).WithName("ImportResources").Accepts<ResourceImportRequest>("application/json").Produces<ResourceImportResponse>()
            .ProducesProblem(400).WithSummary("Idempotent bulk import (all or nothing): creates new, updates changed, leaves equal ones alone; deletes nothing.");
        resources.MapGet("/{name}", (string name, PolicyAdminService admin, CancellationToken ct) => admin.GetResourceAsync(name, ct))
            .RequireAction(PolicyActions.ResourcesRead).WithName("GetResource").Produces<ResourceDto>().ProducesProblem(404);
        resources.MapPut("/{name}", (string name, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<ResourceRequest>(http, runtime, runtime.Options.HttpMaxBodyBytes, (r, info) => admin.UpdateResourceAsync(http.Principal(), name, r, info, ct), ct))
            .RequireAction(PolicyActions.ResourcesWrite).WithName("UpdateResource").Accepts<ResourceRequest>("application/json").Produces<ResourceDto>()
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).WithSummary("Replace a resource; revision must be the stored one (409 stale-revision otherwise).");
        resources.MapDelete("/{name}", (string name, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            admin.DeleteResourceAsync(http.Principal(), name, Info(http, runtime), ct))
            .RequireAction(PolicyActions.ResourcesWrite).WithName("DeleteResource").Produces(204).ProducesProblem(404);

        var roles = app.MapGroup("/v1/roles").WithTags("roles");
        roles.MapGet("", (PolicyAdminService admin, CancellationToken ct) => admin.ListRolesAsync(ct))
            .RequireAction(PolicyActions.RolesRead).WithName("ListRoles").Produces<RoleListResponse>();
        roles.MapPost("", (bool? dry_run, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<RoleWriteRequest>(http, runtime, MaxRoleBody, (r, info) => admin.CreateRoleAsync(http.Principal(), r, dry_run ?? false, info, ct), ct))
            .RequireAction(PolicyActions.RolesWrite).WithName("CreateRole").Accepts<RoleWriteRequest>("application/json").Produces<RoleWriteResponse>(201)
            .ProducesProblem(400).ProducesProblem(409).WithSummary("Create a role from its YAML document (dry_run=true: validate, lint and diff only).");
        roles.MapGet("/{name}", (string name, PolicyAdminService admin, CancellationToken ct) => admin.GetRoleAsync(name, ct))
            .RequireAction(PolicyActions.RolesRead).WithName("GetRole").Produces<RoleDto>().ProducesProblem(404);
        roles.MapPut("/{name}", (string name, bool? dry_run, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<RoleWriteRequest>(http, runtime, MaxRoleBody, (r, info) => admin.UpdateRoleAsync(http.Principal(), name, r, dry_run ?? false, info, ct), ct))
            .RequireAction(PolicyActions.RolesWrite).WithName("UpdateRole").Accepts<RoleWriteRequest>("application/json").Produces<RoleWriteResponse>()
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409)
            .WithSummary("Replace a role; the expected revision (body or the document's revision:) must be the stored one (dry_run=true: diff and lint only).");
        roles.MapDelete("/{name}", (string name, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            admin.DeleteRoleAsync(http.Principal(), name, Info(http, runtime), ct))
            .RequireAction(PolicyActions.RolesWrite).WithName("DeleteRole").Produces(204).ProducesProblem(404).ProducesProblem(409);

        var mappings = app.MapGroup("/v1/role-mappings").WithTags("roles");
        mappings.MapGet("", (PolicyAdminService admin, CancellationToken ct) => admin.ListRoleMappingsAsync(ct))
            .RequireAction(PolicyActions.RolesRead).WithName("ListRoleMappings").Produces<RoleMappingListResponse>();
        mappings.MapPost("", (HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<RoleMappingDto>(http, runtime, 64 * 1024, (r, info) => admin.AddRoleMappingAsync(http.Principal(), r, info, ct), ct))
            .RequireAction(PolicyActions.RolesWrite).WithName("AddRoleMapping").Accepts<RoleMappingDto>("application/json").Produces<RoleMappingDto>(201).Produces<RoleMappingDto>()
            .ProducesProblem(400).WithSummary("Assign a role to every identity whose trait holds a value (201 added, 200 already there).");
        mappings.MapDelete("", (string? trait, string? value, string? role, HttpContext http, PolicyAdminService admin, CustosRuntime runtime, CancellationToken ct) =>
            admin.RemoveRoleMappingAsync(http.Principal(), trait, value, role, Info(http, runtime), ct))
            .RequireAction(PolicyActions.RolesWrite).WithName("RemoveRoleMapping").Produces(204).ProducesProblem(404);

        var access = app.MapGroup("/v1/access").WithTags("access");
        access.MapPost("/check", (HttpContext http, AccessQueryService queries, CustosRuntime runtime, CancellationToken ct) =>
            WithBody<AccessCheckRequest>(http, runtime, 64 * 1024, (r, info) => queries.CheckAsync(http.Principal(), r, info, ct), ct))
            .RequireSession().WithName("CheckAccess").Accepts<AccessCheckRequest>("application/json").Produces<AccessCheckResponse>().ProducesProblem(400).ProducesProblem(403)
            .WithSummary("May USER do ACTION on RESOURCE? Decision, obligations and explanation (about others: needs audit.read).");
        access.MapGet("/who-can", (string? action, string? resource, HttpContext http, AccessQueryService queries, CustosRuntime runtime, CancellationToken ct) =>
            queries.WhoCanAsync(http.Principal(), action, resource, Info(http, runtime), ct))
            .RequireAction(PolicyActions.AuditRead).WithName("WhoCan").Produces<WhoCanResponse>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Every role and active identity that could do ACTION on RESOURCE, standing or by request, with the conditions.");
        access.MapGet("/what-can", (string? user, HttpContext http, AccessQueryService queries, CustosRuntime runtime, CancellationToken ct) =>
            queries.WhatCanAsync(http.Principal(), user, Info(http, runtime), ct))
            .RequireSession().WithName("WhatCan").Produces<WhatCanResponse>().ProducesProblem(403).ProducesProblem(404)
            .WithSummary("What an identity (default: the caller) can reach: resources, logins, admin actions; standing or by request.");
        return app;
    }

    private static RequestInfo Info(HttpContext http, CustosRuntime runtime) => RequestInfo.From(http, runtime.Options.Identity);

    private static async Task<IResult> WithBody<T>(HttpContext http, CustosRuntime runtime, long maxBytes, Func<T, RequestInfo, Task<IResult>> handler, CancellationToken ct) where T : class
    {
        var (body, problem) = await JsonBody.ReadAsync<T>(http, maxBytes, ct);
        return problem ?? await handler(body!, Info(http, runtime));
    }
}
