using Custos.Core;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Policy;
using Custos.Server.Api;
using Custos.Server.Api.Policy;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Policy;

/// <summary>
/// Writes to the policy's inputs — resources, roles, role mappings — with validation, optimistic concurrency and an
/// audit event carrying SHA-256 digests of the content before and after. The event is appended after the change
/// commits and before the answer; the compiled policy of this instance is brought up to date within the write
/// (<see cref="PolicyService.WriteAsync"/>), so the caller's next request sees the change (other instances within
/// <c>policy.poll_interval</c>).
/// </summary>
public sealed partial class PolicyAdminService(IPolicyStore store, PolicyService policy, CustosRuntime runtime, TimeProvider time)
{
    public const int MaxMappings = 10_000;
    public const int MaxTraitValueLength = 256;

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    private async Task AuditAsync(string type, CustosPrincipal caller, RequestInfo info, string target, JsonObject details, CancellationToken cancellationToken) =>
        await runtime.RequireAudit().AppendAsync(new AuditEntry(type, caller.Actor, AuditOutcome.Success, target, null, info.Source, info.RequestId, details),
            cancellationToken).ConfigureAwait(false);

    // ---- resources ----

    public static ResourceDto ToDto(StoredResource r) => new(r.Name, r.Kind.ToName(),
        r.Kind == ResourceKind.App ? null : ResourceInput.FormatAddress(r.Address, r.Port), r.DatabaseNames, r.HostKeyFingerprint, r.TrustHostCa, r.Url,
        new SortedDictionary<string, string>(r.Labels.ToDictionary(), StringComparer.Ordinal), r.Revision, AuditChain.FormatTime(r.CreatedAt), AuditChain.FormatTime(r.UpdatedAt));

    /// <summary>Resources in name order, optionally of one kind and carrying every given <c>key=value</c> label.</summary>
    public async Task<IResult> ListResourcesAsync(string? kind, string[]? labels, CancellationToken cancellationToken)
    {
        ResourceKind parsedKind = default;
        if (kind is not null && !ResourceKindNames.TryParse(kind, out parsedKind))
            return Problems.Validation("kind", "expected ssh_node, database or app");
        var wanted = new List<(string Key, string Value)>();
        foreach (var label in labels ?? [])
        {
            var eq = label.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return Problems.Validation("label", $"'{Clip(label)}' is not KEY=VALUE");
            wanted.Add((label[..eq], label[(eq + 1)..]));
        }
        var all = await store.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
        var selected = all.Where(r => (kind is null || r.Kind == parsedKind)
            && wanted.All(w => r.Labels.TryGetValue(w.Key, out var v) && v == w.Value));
        return Results.Ok(new ResourceListResponse([.. selected.Select(ToDto)]));
    }

    public async Task<IResult> GetResourceAsync(string name, CancellationToken cancellationToken) =>
        await store.GetResourceAsync(name, cancellationToken).ConfigureAwait(false) is { } r ? Results.Ok(ToDto(r)) : NoResource(name);

    public async Task<IResult> CreateResourceAsync(CustosPrincipal caller, ResourceRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (request.Revision is not null) return Problems.Validation("revision", "a new resource has no revision; use PUT /v1/resources/{name} to change one");
        var now = Now();
        var resource = Input(request, request.Name).Build(now, out var errors);
        if (resource is null) return Invalid(errors);
        if (!await policy.WriteAsync(() => store.TryCreateResourceAsync(resource, cancellationToken), _ => null, cancellationToken).ConfigureAwait(false))
            return Problems.Conflict("already-exists", "Already exists", $"a resource named {resource.Name} exists");
        await AuditAsync("resource.create", caller, info, "resource/" + resource.Name, new JsonObject
        {
            ["kind"] = resource.Kind.ToName(),
            ["revision"] = 1,
            ["after_sha256"] = Digests.Of(InventoryYaml.CanonicalText(resource)),
        }, cancellationToken).ConfigureAwait(false);
        return Results.Created($"/v1/resources/{resource.Name}", ToDto(resource));
    }

    public async Task<IResult> UpdateResourceAsync(CustosPrincipal caller, string name, ResourceRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (request.Name is not null && request.Name != name)
            return Problems.Validation("name", "renaming is not supported: create the new resource and remove the old one");
        if (request.Revision is not { } expected)
            return Problems.Validation("revision", "required: the revision you read (custos admin resources show NAME), so a concurrent change is not overwritten");
        var before = await store.GetResourceAsync(name, cancellationToken).ConfigureAwait(false);
        if (before is null) return NoResource(name);
        var now = Now();
        var built = Input(request, name).Build(now, out var errors);
        if (built is null) return Invalid(errors);
        var resource = built with { CreatedAt = before.CreatedAt };
        switch (await policy.WriteAsync(() => store.UpdateResourceAsync(resource, expected, cancellationToken), _ => null, cancellationToken).ConfigureAwait(false))
        {
            case PolicyUpdateResult.NotFound: return NoResource(name);
            case PolicyUpdateResult.Stale: return Stale("resource", name, expected);
        }
        await AuditAsync("resource.update", caller, info, "resource/" + name, new JsonObject
        {
            ["revision"] = expected + 1,
            ["before_sha256"] = Digests.Of(InventoryYaml.CanonicalText(before)),
            ["after_sha256"] = Digests.Of(InventoryYaml.CanonicalText(resource)),
        }, cancellationToken).ConfigureAwait(false);
        return Results.Ok(ToDto(resource with { Revision = expected + 1 }));
    }

    public async Task<IResult> DeleteResourceAsync(CustosPrincipal caller, string name, RequestInfo info, CancellationToken cancellationToken)
    {
        var before = await store.GetResourceAsync(name, cancellationToken).ConfigureAwait(false);
        if (before is null || !await policy.WriteAsync(() => store.DeleteResourceAsync(name, cancellationToken), _ => null, cancellationToken).ConfigureAwait(false))
            return NoResource(name);
        await AuditAsync("resource.delete", caller, info, "resource/" + name, new JsonObject
        {
            ["revision"] = before.Revision,
            ["before_sha256"] = Digests.Of(InventoryYaml.CanonicalText(before)),
        }, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>
    /// Bulk import (idempotent, all or nothing): new names are created, changed ones updated, equal ones left alone;
    /// nothing is deleted. One audit event with the counts, the digest of the input and of the whole inventory before
    /// and after, and the names changed (the first 1,000).
    /// </summary>
    public async Task<IResult> ImportResourcesAsync(CustosPrincipal caller, ResourceImportRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredResource> resources;
        try
        {
            resources = InventoryYaml.Parse(request.Yaml ?? "", Now());
        }
        catch (RoleValidationException e)
        {
            return InvalidYaml(e.Errors);
        }
        var before = await store.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
        var byName = before.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var changed = resources.Where(r => !byName.TryGetValue(r.Name, out var old) || !InventoryYaml.SameContent(old, r)).Select(r => r.Name).ToList();
        var result = await policy.WriteAsync(() => store.UpsertResourcesAsync(resources, cancellationToken), _ => null, cancellationToken).ConfigureAwait(false);
        if (result.Created + result.Updated > 0)
        {
            var after = await store.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
            await AuditAsync("resource.import", caller, info, "resources", new JsonObject
            {
                ["created"] = result.Created,
                ["updated"] = result.Updated,
                ["unchanged"] = result.Unchanged,
                ["input_sha256"] = Digests.Of(request.Yaml ?? ""),
                ["before_sha256"] = Digests.Of(InventoryYaml.Write(before)),
                ["after_sha256"] = Digests.Of(InventoryYaml.Write(after)),
                ["changed"] = new JsonArray([.. changed.Take(1000).Select(n => (JsonNode)n)]),
            }, cancellationToken).ConfigureAwait(false);
            }
        return Results.Ok(new ResourceImportResponse(result.Created, result.Updated, result.Unchanged));
    }

    public async Task<IResult> ExportResourcesAsync(CancellationToken cancellationToken)
    {
        var all = await store.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
        return Results.Ok(new ResourceExportResponse(InventoryYaml.Write(all), all.Count));
    }

    private static ResourceInput Input(ResourceRequest r, string? name) =>
        new(name, r.Kind, r.Address, r.Databases, r.HostKeyFingerprint, r.TrustHostCa, r.Url, r.Labels);

    private static IResult NoResource(string name) => Problems.NotFound($"no resource named {Clip(name)}");

    private static IResult Invalid(IReadOnlyList<(string Field, string Message)> errors) =>
        Problems.Validation($"{errors[0].Field}: {errors[0].Message}",
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()));

    private static IResult InvalidYaml(IReadOnlyList<RoleValidationError> errors) =>
        Problems.Validation(errors.Count == 1 ? "the document has a problem (see errors.yaml)" : $"the document has {errors.Count} problems (see errors.yaml)",
            new Dictionary<string, string[]> { ["yaml"] = [.. errors.Select(e => e.ToString())] });

    private static IResult Stale(string what, string name, long expected) =>
        Problems.Conflict("stale-revision", "Stale revision",
            $"the {what} {name} changed since revision {expected.ToString(CultureInfo.InvariantCulture)} was read: get it again, reapply your change, and retry");

    internal static string Clip(string? text) => text is null ? "" : text.Length > 64 ? text[..64] + "…" : text;
}
