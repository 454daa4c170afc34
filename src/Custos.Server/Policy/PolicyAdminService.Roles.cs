using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Policy;
using Custos.Server.Api;
using Custos.Server.Api.Policy;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Policy;

public sealed partial class PolicyAdminService
{
    // ---- roles ----

    private static RoleDto ToDto(StoredRole r) => new(r.Name, r.Yaml, r.Revision, AuditChain.FormatTime(r.UpdatedAt), r.UpdatedBy);

    private static IReadOnlyList<LintFindingDto> Findings(RoleDocument document) =>
        [.. RoleLinter.Lint(document).Select(f => new LintFindingDto(f.Code, f.Path, f.Message, f.Severity.ToString().ToLowerInvariant()))];

    public async Task<IResult> ListRolesAsync(CancellationToken cancellationToken)
    {
        var roles = await store.ListRolesAsync(cancellationToken).ConfigureAwait(false);
        return Results.Ok(new RoleListResponse([.. roles.Select(r =>
        {
            var document = RoleParser.TryParse(r.Yaml, out var parsed, out _) ? parsed : null;
            return new RoleSummaryDto(r.Name, document?.Description, document?.RequiresRequest ?? false, r.Revision, AuditChain.FormatTime(r.UpdatedAt), r.UpdatedBy);
        })]));
    }

    public async Task<IResult> GetRoleAsync(string name, CancellationToken cancellationToken) =>
        await store.GetRoleAsync(name, cancellationToken).ConfigureAwait(false) is { } role ? Results.Ok(ToDto(role)) : NoRole(name);

    public async Task<IResult> CreateRoleAsync(CustosPrincipal caller, RoleWriteRequest request, bool dryRun, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!TryParse(request.Yaml, out var document, out var problem)) return problem!;
        var yaml = document!.ToCanonicalYaml();
        var findings = Findings(document);
        var diff = RoleDiff.Of("", yaml);
        if (dryRun)
        {
            var exists = await store.GetRoleAsync(document.Name, cancellationToken).ConfigureAwait(false) is not null;
            return exists ? RoleExists(document.Name) : Results.Ok(new RoleWriteResponse(true, true, null, findings, diff));
        }
        var role = new StoredRole(document.Name, yaml, 1, Now(), caller.Identity.Name);
        if (!await policy.WriteAsync(() => store.TryCreateRoleAsync(role, cancellationToken), created => created ? set => set.WithRole(document) : null, cancellationToken).ConfigureAwait(false))
            return RoleExists(document.Name);
        await AuditAsync("role.create", caller, info, "role/" + role.Name, new JsonObject
        {
            ["revision"] = 1,
            ["after_sha256"] = Digests.Of(yaml),
            ["lint"] = new JsonArray([.. findings.Select(f => (JsonNode)f.Code)]),
        }, cancellationToken).ConfigureAwait(false);
        return Results.Created($"/v1/roles/{role.Name}", new RoleWriteResponse(false, true, ToDto(role), findings, diff));
    }

    /// <summary>
    /// Replaces a role if the expected revision (the request's, else the document's <c>revision:</c>) is the stored
    /// one. The <c>admin</c> role must keep allowing <c>roles.write</c> and <c>users.write</c>, so that nobody can edit
    /// administration out of existence through the API.
    /// </summary>
    public async Task<IResult> UpdateRoleAsync(CustosPrincipal caller, string name, RoleWriteRequest request, bool dryRun, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!TryParse(request.Yaml, out var document, out var problem)) return problem!;
        if (document!.Name != name)
            return Problems.Validation("name", $"the document is named {Clip(document.Name)}, not {Clip(name)}: renaming is not supported");
        if ((request.Revision ?? document.Revision) is not { } expected)
            return Problems.Validation("revision", "required: give the revision you read (the revision: line of custos admin roles get, or --revision), so a concurrent change is not overwritten");
        if (name == BuiltInRoleDocuments.Admin && LosesAdministration(document) is { } lost)
            return Problems.Conflict("admin-role-protected", "The admin role must keep administering",
                $"the admin role must allow {lost} unconditionally (not denied): without it nobody could repair the policy through the API");
        var before = await store.GetRoleAsync(name, cancellationToken).ConfigureAwait(false);
        if (before is null) return NoRole(name);
        if (before.Revision != expected) return Stale("role", name, expected);
        var yaml = document.ToCanonicalYaml();
        var findings = Findings(document);
        var diff = RoleDiff.Of(before.Yaml, yaml);
        if (dryRun || yaml == before.Yaml)
            return Results.Ok(new RoleWriteResponse(dryRun, yaml != before.Yaml, dryRun ? null : ToDto(before), findings, diff));
        var role = new StoredRole(name, yaml, expected + 1, Now(), caller.Identity.Name);
        switch (await policy.WriteAsync(() => store.UpdateRoleAsync(role, expected, cancellationToken),
            result => result == PolicyUpdateResult.Updated ? set => set.WithRole(document) : null, cancellationToken).ConfigureAwait(false))
        {
            case PolicyUpdateResult.NotFound: return NoRole(name);
            case PolicyUpdateResult.Stale: return Stale("role", name, expected);
        }
        await AuditAsync("role.update", caller, info, "role/" + name, new JsonObject
        {
            ["revision"] = expected + 1,
            ["before_sha256"] = Digests.Of(before.Yaml),
            ["after_sha256"] = Digests.Of(yaml),
            ["lint"] = new JsonArray([.. findings.Select(f => (JsonNode)f.Code)]),
        }, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new RoleWriteResponse(false, true, ToDto(role), findings, diff));
    }

    /// <summary>Deletes a role; refused for <c>admin</c> and while role mappings name it (remove those first).</summary>
    public async Task<IResult> DeleteRoleAsync(CustosPrincipal caller, string name, RequestInfo info, CancellationToken cancellationToken)
    {
        if (name == BuiltInRoleDocuments.Admin)
            return Problems.Conflict("admin-role-protected", "The admin role cannot be deleted", "the admin role administers Custos; edit it instead");
        var before = await store.GetRoleAsync(name, cancellationToken).ConfigureAwait(false);
        if (before is null) return NoRole(name);
        var mappings = (await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false)).Where(m => m.Role == name).ToList();
        if (mappings.Count > 0)
            return Problems.Conflict("role-in-use", "Role in use",
                $"role mappings assign {name}: {string.Join(", ", mappings.Take(10).Select(m => $"{m.TraitKey}={m.TraitValue}"))}; remove them first (custos admin role-mappings rm)");
        if (!await policy.WriteAsync(() => store.DeleteRoleAsync(name, cancellationToken), deleted => deleted ? set => set.WithoutRole(name) : null, cancellationToken).ConfigureAwait(false))
            return NoRole(name);
        await AuditAsync("role.delete", caller, info, "role/" + name, new JsonObject
        {
            ["revision"] = before.Revision,
            ["before_sha256"] = Digests.Of(before.Yaml),
        }, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static string? LosesAdministration(RoleDocument admin)
    {
        foreach (var action in new[] { PolicyActions.RolesWrite, PolicyActions.UsersWrite })
        {
            var allowed = admin.Allow.Any(r => r.ExpandedActions.Contains(action) && r.Conditions.IsEmpty);
            var denied = admin.Deny.Any(r => r.ExpandedActions.Contains(action));
            if (!allowed || denied) return action;
        }
        return null;
    }

    private static bool TryParse(string? yaml, out RoleDocument? document, out IResult? problem)
    {
        document = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(yaml))
        {
            problem = Problems.Validation("yaml", "required: the role document");
            return false;
        }
        if (!RoleParser.TryParse(yaml, out document, out var errors))
        {
            problem = InvalidYaml(errors);
            return false;
        }
        return true;
    }

    private static IResult NoRole(string name) => Problems.NotFound($"no role named {Clip(name)}");

    private static IResult RoleExists(string name) =>
        Problems.Conflict("already-exists", "Already exists", $"a role named {name} exists; change it with custos admin roles update");

    // ---- role mappings ----

    private static RoleMappingDto ToDto(RoleMapping m) => new(m.TraitKey, m.TraitValue, m.Role);

    public async Task<IResult> ListRoleMappingsAsync(CancellationToken cancellationToken) =>
        Results.Ok(new RoleMappingListResponse([.. (await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false)).Select(ToDto)]));

    public async Task<IResult> AddRoleMappingAsync(CustosPrincipal caller, RoleMappingDto request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (CheckMapping(request.Trait, request.Value, request.Role) is { } bad) return bad;
        if (await store.GetRoleAsync(request.Role, cancellationToken).ConfigureAwait(false) is null)
            return Problems.Validation("role", $"no role named {Clip(request.Role)} (custos admin roles ls)");
        var before = await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false);
        if (before.Count >= MaxMappings) return Problems.Conflict("too-many-mappings", "Too many role mappings", $"at most {MaxMappings} role mappings");
        var mapping = new RoleMapping(request.Trait, request.Value, request.Role);
        var (added, after) = await policy.WriteAsync(async () => (await store.AddRoleMappingAsync(mapping, cancellationToken).ConfigureAwait(false),
            await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false)), r => r.Item1 ? set => set.WithMappings(r.Item2) : null, cancellationToken).ConfigureAwait(false);
        if (!added)
            return Results.Ok(ToDto(mapping));
        await AuditMappingAsync("role_mapping.add", caller, info, mapping, before, after, cancellationToken).ConfigureAwait(false);
        return Results.Created("/v1/role-mappings", ToDto(mapping));
    }

    public async Task<IResult> RemoveRoleMappingAsync(CustosPrincipal caller, string? trait, string? value, string? role, RequestInfo info, CancellationToken cancellationToken)
    {
        if (CheckMapping(trait, value, role) is { } bad) return bad;
        var mapping = new RoleMapping(trait!, value!, role!);
        var before = await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false);
        var (removed, after) = await policy.WriteAsync(async () => (await store.RemoveRoleMappingAsync(mapping, cancellationToken).ConfigureAwait(false),
            await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false)), r => r.Item1 ? set => set.WithMappings(r.Item2) : null, cancellationToken).ConfigureAwait(false);
        if (!removed)
            return Problems.NotFound($"no role mapping {Clip(trait)}={Clip(value)} → {Clip(role)}");
        await AuditMappingAsync("role_mapping.remove", caller, info, mapping, before, after, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private async Task AuditMappingAsync(string type, CustosPrincipal caller, RequestInfo info, RoleMapping mapping, IReadOnlyList<RoleMapping> before,
        IReadOnlyList<RoleMapping> after, CancellationToken cancellationToken)
    {
        await AuditAsync(type, caller, info, "role/" + mapping.Role, new JsonObject
        {
            ["trait"] = mapping.TraitKey,
            ["value"] = mapping.TraitValue,
            ["role"] = mapping.Role,
            ["before_sha256"] = Digests.Of(MappingsText(before)),
            ["after_sha256"] = Digests.Of(MappingsText(after)),
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One line per mapping, JSON-quoted fields, in store order: the text the mapping digests are taken over.</summary>
    private static string MappingsText(IReadOnlyList<RoleMapping> mappings)
    {
        var text = new StringBuilder();
        foreach (var m in mappings)
            text.Append(System.Text.Json.JsonSerializer.Serialize(new[] { m.TraitKey, m.TraitValue, m.Role })).Append('\n');
        return text.ToString();
    }

    private static IResult? CheckMapping(string? trait, string? value, string? role)
    {
        if (string.IsNullOrEmpty(trait) || trait.Length > 64 || !trait.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            return Problems.Validation("trait", "expected a trait name: 1-64 letters, digits, '_', '-' or '.'");
        if (value is null || value.Length is 0 or > MaxTraitValueLength || value.Any(char.IsControl))
            return Problems.Validation("value", $"expected a trait value: 1-{MaxTraitValueLength} characters without control characters");
        if (role is null || !RoleParser.IsValidRoleName(role))
            return Problems.Validation("role", "expected a role name");
        return null;
    }
}
