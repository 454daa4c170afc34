using System.Net;
using System.Text.Json.Nodes;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using Custos.Server.Tests.Fixtures;
using Custos.Server.Tests.Identity;

namespace Custos.Server.Tests.Policy;

/// <summary>
/// The policy API over real HTTPS against a real SQLite file: inventory, roles, mappings, the engine deciding the API's
/// own authorization, the questions, and the audit trail of every write.
/// </summary>
public sealed class PolicyApiTests
{
    private const string DbaRole = """
        kind: role
        name: dba
        description: Database administrators
        allow:
          resources:
            - kind: database
              labels: { env: [prod, staging] }
          actions: [db.connect, db.query.read]
          db_users: [app_admin]
          db_names: ["*"]
          conditions:
            mfa: per_session
          session: { max_ttl: 2h, recording: required, idle_timeout: 15m }
        deny:
          resources: [{ kind: database, labels: { data: pci } }]
          actions: [db.connect]
        """;

    private static async Task<JsonNode> AuditAsync(IdentityScenario s, string type) =>
        (await s.Admin.GetAsync($"/v1/audit/events?type={type}&limit=1000")).Expect(HttpStatusCode.OK).Node["events"]!;

    [Fact]
    public async Task A_new_installation_has_the_built_in_roles_as_ordinary_documents()
    {
        await using var s = await IdentityScenario.StartAsync();
        var roles = (await s.Admin.GetAsync("/v1/roles")).Expect(HttpStatusCode.OK).As<RoleListResponse>();
        Assert.Equal(["admin", "auditor", "user"], roles.Roles.Select(r => r.Name));
        Assert.All(roles.Roles, r => Assert.Equal("system", r.UpdatedBy));
        var admin = (await s.Admin.GetAsync("/v1/roles/admin")).Expect(HttpStatusCode.OK).As<RoleDto>();
        Assert.Contains("roles.*", admin.Yaml, StringComparison.Ordinal);
        var created = await AuditAsync(s, "role.create");
        Assert.Equal(3, created.AsArray().Count);
        Assert.All(created.AsArray(), e => Assert.Equal(64, e!["details"]!["after_sha256"]!.GetValue<string>().Length));
    }

    [Fact]
    public async Task Resources_are_created_read_updated_with_a_revision_and_deleted_and_every_write_is_audited()
    {
        await using var s = await IdentityScenario.StartAsync();
        var created = (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "10.0.0.5", ["app"], null, null, null,
            new Dictionary<string, string> { ["env"] = "prod", ["team"] = "payments" }, null))).Expect(HttpStatusCode.Created).As<ResourceDto>();
        Assert.Equal("10.0.0.5:5432", created.Address);
        Assert.Equal(1, created.Revision);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("web-1", "ssh_node", "[2001:db8::7]:2222", null, "SHA256:" + new string('A', 43), true, null,
            new Dictionary<string, string> { ["env"] = "staging" }, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("grafana", "app", null, null, null, null, "https://grafana.example.com", null, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "10.0.0.6", null, null, null, null, null, null))).Expect(HttpStatusCode.Conflict, "already-exists");

        var prod = (await s.Admin.GetAsync("/v1/resources?label=env=prod")).Expect(HttpStatusCode.OK).As<ResourceListResponse>();
        Assert.Equal(["db-1"], prod.Resources.Select(r => r.Name));
        var nodes = (await s.Admin.GetAsync("/v1/resources?kind=ssh_node")).Expect(HttpStatusCode.OK).As<ResourceListResponse>();
        Assert.Equal("[2001:db8::7]:2222", Assert.Single(nodes.Resources).Address);

        var update = new ResourceRequest(null, "database", "10.0.0.5:6432", ["app", "reporting"], null, null, null, new Dictionary<string, string> { ["env"] = "prod" }, 1);
        var updated = (await s.Admin.SendAsync(HttpMethod.Put, "/v1/resources/db-1", update)).Expect(HttpStatusCode.OK).As<ResourceDto>();
        Assert.Equal(2, updated.Revision);
        Assert.Equal(["app", "reporting"], updated.Databases);
        // The same revision again is stale now: nothing changes.
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/resources/db-1", update with { Address = "10.9.9.9" })).Expect(HttpStatusCode.Conflict, "stale-revision");
        Assert.Equal("10.0.0.5:6432", (await s.Admin.GetAsync("/v1/resources/db-1")).Expect(HttpStatusCode.OK).As<ResourceDto>().Address);
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/resources/db-1", update with { Revision = null })).Expect(HttpStatusCode.BadRequest, "validation");

        (await s.Admin.DeleteAsync("/v1/resources/grafana")).Expect(HttpStatusCode.NoContent);
        (await s.Admin.DeleteAsync("/v1/resources/grafana")).Expect(HttpStatusCode.NotFound, "not-found");

        var events = (await s.Admin.GetAsync("/v1/audit/events?type=resource.*")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal(["resource.create", "resource.create", "resource.create", "resource.update", "resource.delete"], events.Select(e => e!["type"]!.GetValue<string>()));
        var change = events[3]!["details"]!;
        Assert.NotEqual(change["before_sha256"]!.GetValue<string>(), change["after_sha256"]!.GetValue<string>());
        Assert.Equal(events[0]!["details"]!["after_sha256"]!.GetValue<string>(), change["before_sha256"]!.GetValue<string>());
        Assert.Equal("admin", events[4]!["actor"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Bad Name", "database", "10.0.0.1", null, "name")]
    [InlineData("db-2", "printer", "10.0.0.1", null, "kind")]
    [InlineData("db-2", "database", null, null, "address")]
    [InlineData("db-2", "database", "10.0.0.1:99999", null, "address")]
    [InlineData("db-2", "database", "::1:22", null, "address")]
    [InlineData("db-2", "database", "bad host!:22", null, "address")]
    [InlineData("app-2", "app", null, "ftp://files.example.com", "url")]
    [InlineData("app-2", "app", null, "https://user:pw@example.com", "url")]
    public async Task Invalid_resources_are_refused_naming_the_field_and_nothing_is_stored(string name, string kind, string? address, string? url, string field)
    {
        await using var s = await IdentityScenario.StartAsync();
        var problem = (await s.Admin.PostAsync("/v1/resources", new ResourceRequest(name, kind, address, null, null, null, url, null, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem.Node["errors"]![field]);
        Assert.Empty((await s.Admin.GetAsync("/v1/resources")).Expect(HttpStatusCode.OK).As<ResourceListResponse>().Resources);
        Assert.Empty((await AuditAsync(s, "resource.*")).AsArray());
    }

    [Fact]
    public async Task Import_is_idempotent_all_or_nothing_and_export_round_trips()
    {
        await using var s = await IdentityScenario.StartAsync();
        const string inventory = """
            kind: resources
            resources:
              - name: db-1
                kind: database
                address: 10.0.0.5:5432
                databases: [app]
                labels: { env: prod }
              - name: web-1
                kind: ssh_node
                address: web-1.example.com
                labels: { env: staging, team: web }
              - name: wiki
                kind: app
                url: https://wiki.example.com
            """;
        var first = (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest(inventory))).Expect(HttpStatusCode.OK).As<ResourceImportResponse>();
        Assert.Equal(new ResourceImportResponse(3, 0, 0), first);
        var again = (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest(inventory))).Expect(HttpStatusCode.OK).As<ResourceImportResponse>();
        Assert.Equal(new ResourceImportResponse(0, 0, 3), again);
        Assert.Single((await AuditAsync(s, "resource.import")).AsArray());

        var export = (await s.Admin.GetAsync("/v1/resources/export")).Expect(HttpStatusCode.OK).As<ResourceExportResponse>();
        Assert.Equal(3, export.Count);
        Assert.Equal(new ResourceImportResponse(0, 0, 3),
            (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest(export.Yaml))).Expect(HttpStatusCode.OK).As<ResourceImportResponse>());

        var changed = inventory.Replace("team: web", "team: platform", StringComparison.Ordinal);
        Assert.Equal(new ResourceImportResponse(0, 1, 2),
            (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest(changed))).Expect(HttpStatusCode.OK).As<ResourceImportResponse>());
        var import = (await AuditAsync(s, "resource.import")).AsArray()[^1]!["details"]!;
        Assert.Equal("web-1", import["changed"]![0]!.GetValue<string>());

        // One bad entry refuses the whole import: nothing of it is stored.
        var bad = changed + "\n  - name: db-9\n    kind: database\n    address: 10.0.0.9:0\n";
        var problem = (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest(bad.Replace("10.0.0.5", "10.0.0.50", StringComparison.Ordinal))))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("resources[3].address", problem.Body, StringComparison.Ordinal);
        Assert.Contains("line 17", problem.Body, StringComparison.Ordinal);
        Assert.Equal("10.0.0.5:5432", (await s.Admin.GetAsync("/v1/resources/db-1")).Expect(HttpStatusCode.OK).As<ResourceDto>().Address);
        (await s.Admin.GetAsync("/v1/resources/db-9")).Expect(HttpStatusCode.NotFound);
        (await s.Admin.PostAsync("/v1/resources/import", new ResourceImportRequest("kind: resources\nresources: &a [ *a ]\n"))).Expect(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Roles_are_validated_linted_diffed_and_updated_only_at_the_stored_revision()
    {
        await using var s = await IdentityScenario.StartAsync();
        var invalid = (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest("kind: role\nname: x\nallow:\n  resources:\n    - kind: database\n      labels:\n        env: { a: b }\n  actions: [db.connect]\n", null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("allow.resources[0].labels.env: expected string or list (line 7)", invalid.Body, StringComparison.Ordinal);

        var dry = (await s.Admin.SendAsync(HttpMethod.Post, "/v1/roles?dry_run=true", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.OK).As<RoleWriteResponse>();
        Assert.True(dry.DryRun);
        Assert.Null(dry.Role);
        Assert.StartsWith("+ kind: role", dry.Diff, StringComparison.Ordinal);
        (await s.Admin.GetAsync("/v1/roles/dba")).Expect(HttpStatusCode.NotFound);

        var created = (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.Created).As<RoleWriteResponse>();
        Assert.Equal(1, created.Role!.Revision);
        Assert.Empty(created.Findings);
        var risky = (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest("kind: role\nname: ops\nallow:\n  resources: [{ kind: ssh_node, labels: { env: prod } }]\n  actions: [ssh.session]\n  logins: [deploy]\n", null)))
            .Expect(HttpStatusCode.Created).As<RoleWriteResponse>();
        Assert.Contains(risky.Findings, f => f.Code == "POL002" && f.Path == "allow.conditions.mfa");
        Assert.Contains(risky.Findings, f => f.Code == "POL003");
        (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.Conflict, "already-exists");

        // get → edit → update with the revision line; a second writer holding the old revision is refused.
        var edited = DbaRole.Replace("max_ttl: 2h", "max_ttl: 1h", StringComparison.Ordinal) + "\nrevision: 1\n";
        var diffOnly = (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/dba?dry_run=true", new RoleWriteRequest(edited, null))).Expect(HttpStatusCode.OK).As<RoleWriteResponse>();
        Assert.Contains("-     max_ttl: 2h\n", diffOnly.Diff, StringComparison.Ordinal);
        Assert.Contains("+     max_ttl: 1h\n", diffOnly.Diff, StringComparison.Ordinal);
        Assert.Equal(1, (await s.Admin.GetAsync("/v1/roles/dba")).Expect(HttpStatusCode.OK).As<RoleDto>().Revision);
        var updated = (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/dba", new RoleWriteRequest(edited, null))).Expect(HttpStatusCode.OK).As<RoleWriteResponse>();
        Assert.Equal(2, updated.Role!.Revision);
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/dba", new RoleWriteRequest(DbaRole, 1))).Expect(HttpStatusCode.Conflict, "stale-revision");
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/dba", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/dba", new RoleWriteRequest(DbaRole.Replace("name: dba", "name: dbb", StringComparison.Ordinal), 2)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("max_ttl: 1h", (await s.Admin.GetAsync("/v1/roles/dba")).Expect(HttpStatusCode.OK).As<RoleDto>().Yaml, StringComparison.Ordinal);

        var audit = (await AuditAsync(s, "role.*")).AsArray().Where(e => e!["actor"]!["name"]!.GetValue<string>() == "admin").ToList();
        Assert.Equal(["role.create", "role.create", "role.update"], audit.Select(e => e!["type"]!.GetValue<string>()));
        Assert.Equal(created.Role.Yaml is { } y ? Custos.Server.Policy.Digests.Of(y) : null, audit[2]!["details"]!["before_sha256"]!.GetValue<string>());

        (await s.Admin.DeleteAsync("/v1/roles/dba")).Expect(HttpStatusCode.NoContent);
        Assert.Equal("role.delete", (await AuditAsync(s, "role.delete")).AsArray()[0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_admin_role_cannot_be_deleted_or_edited_out_of_administration_and_a_mapped_role_cannot_be_deleted()
    {
        await using var s = await IdentityScenario.StartAsync();
        (await s.Admin.DeleteAsync("/v1/roles/admin")).Expect(HttpStatusCode.Conflict, "admin-role-protected");
        var neutered = "kind: role\nname: admin\nallow:\n  actions: [users.*, audit.read]\n";
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/admin", new RoleWriteRequest(neutered, 1))).Expect(HttpStatusCode.Conflict, "admin-role-protected");
        var denied = "kind: role\nname: admin\nallow:\n  actions: [users.*, roles.*]\ndeny:\n  actions: [roles.write]\n";
        (await s.Admin.SendAsync(HttpMethod.Put, "/v1/roles/admin", new RoleWriteRequest(denied, 1))).Expect(HttpStatusCode.Conflict, "admin-role-protected");
        (await s.Admin.GetAsync("/v1/roles")).Expect(HttpStatusCode.OK);

        (await s.Admin.PostAsync("/v1/role-mappings", new RoleMappingDto("team", "audit", "auditor"))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/role-mappings", new RoleMappingDto("team", "audit", "auditor"))).Expect(HttpStatusCode.OK);
        (await s.Admin.DeleteAsync("/v1/roles/auditor")).Expect(HttpStatusCode.Conflict, "role-in-use");
        (await s.Admin.PostAsync("/v1/role-mappings", new RoleMappingDto("team", "x", "no-such-role"))).Expect(HttpStatusCode.BadRequest, "validation");
        (await s.Admin.PostAsync("/v1/role-mappings", new RoleMappingDto("te am", "x", "auditor"))).Expect(HttpStatusCode.BadRequest, "validation");
        (await s.Admin.DeleteAsync("/v1/role-mappings?trait=team&value=audit&role=auditor")).Expect(HttpStatusCode.NoContent);
        (await s.Admin.DeleteAsync("/v1/role-mappings?trait=team&value=audit&role=auditor")).Expect(HttpStatusCode.NotFound);
        (await s.Admin.DeleteAsync("/v1/roles/auditor")).Expect(HttpStatusCode.NoContent);
        var mappingEvents = (await AuditAsync(s, "role_mapping.*")).AsArray();
        Assert.Equal(["role_mapping.add", "role_mapping.remove"], mappingEvents.Select(e => e!["type"]!.GetValue<string>()));
        Assert.Equal(mappingEvents[0]!["details"]!["after_sha256"]!.GetValue<string>(), mappingEvents[1]!["details"]!["before_sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_api_is_authorized_by_the_engine_through_direct_roles_and_trait_mappings()
    {
        await using var s = await IdentityScenario.StartAsync();
        var totp = await s.AddUserAsync("carol");
        using var carol = await s.LoginAsync("carol", totp);
        var refused = (await carol.GetAsync("/v1/roles")).Expect(HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("roles.read is not allowed", refused.Body, StringComparison.Ordinal);

        // A trait mapping gives carol the auditor role: she reads, but cannot write.
        (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/carol", new UpdateUserRequest(null, null, null, new Dictionary<string, IReadOnlyList<string>> { ["team"] = ["security"] }, null)))
            .Expect(HttpStatusCode.OK);
        (await s.Admin.PostAsync("/v1/role-mappings", new RoleMappingDto("team", "security", "auditor"))).Expect(HttpStatusCode.Created);
        (await carol.GetAsync("/v1/roles")).Expect(HttpStatusCode.OK);
        (await carol.GetAsync("/v1/audit/events")).Expect(HttpStatusCode.OK);
        (await carol.PostAsync("/v1/roles", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.Forbidden, "forbidden");

        // A custom role assigned directly: resources.write, usable at once.
        (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest("kind: role\nname: inventory-keeper\nallow:\n  actions: [resources.*]\n", null))).Expect(HttpStatusCode.Created);
        (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/carol", new UpdateUserRequest(null, null, ["user", "inventory-keeper"], null, null))).Expect(HttpStatusCode.OK);
        (await carol.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "10.0.0.5", null, null, null, null, null, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/carol", new UpdateUserRequest(null, null, ["no-such-role"], null, null))).Expect(HttpStatusCode.BadRequest, "validation");

        // Removing the mapping takes the auditor role away on the next request.
        (await s.Admin.DeleteAsync("/v1/role-mappings?trait=team&value=security&role=auditor")).Expect(HttpStatusCode.NoContent);
        (await carol.GetAsync("/v1/audit/events")).Expect(HttpStatusCode.Forbidden, "forbidden");
        var denials = (await AuditAsync(s, "api.access")).AsArray();
        Assert.Contains(denials, e => e!["reason"]!.GetValue<string>() == "policy_denied" && e["details"]!["action"]!.GetValue<string>() == "audit.read");
    }

    [Fact]
    public async Task Access_questions_explain_decisions_and_only_auditors_may_ask_about_others()
    {
        await using var s = await IdentityScenario.StartAsync();
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-prod", "database", "10.0.0.5", ["app"], null, null, null, new Dictionary<string, string> { ["env"] = "prod" }, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-pci", "database", "10.0.0.6", ["cards"], null, null, null, new Dictionary<string, string> { ["env"] = "prod", ["data"] = "pci" }, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest(DbaRole, null))).Expect(HttpStatusCode.Created);
        var totp = await s.AddUserAsync("dave", ["user", "dba"]);
        using var dave = await s.LoginAsync("dave", totp);

        var allowed = (await s.Admin.PostAsync("/v1/access/check", new AccessCheckRequest("dave", "db.connect", "db-prod", null, "app_admin", "app", "10.1.2.3", null, "per_session")))
            .Expect(HttpStatusCode.OK).As<AccessCheckResponse>();
        Assert.Equal("allow", allowed.Decision);
        Assert.Equal(new ObligationsDto("2h", "per_session", true, false, "15m"), allowed.Obligations);
        Assert.Equal(new RuleRefDto("dba", "allow"), Assert.Single(allowed.Explanation.Rules));

        var noMfa = (await dave.PostAsync("/v1/access/check", new AccessCheckRequest(null, "db.connect", "db-prod", null, "app_admin", null, null, null, null)))
            .Expect(HttpStatusCode.OK).As<AccessCheckResponse>();
        Assert.Equal(("deny", "condition_unmet", "mfa"), (noMfa.Decision, noMfa.Explanation.Reason, noMfa.Explanation.Condition));
        var pci = (await dave.PostAsync("/v1/access/check", new AccessCheckRequest("dave", "db.connect", "db-pci", null, null, null, null, null, "per_session")))
            .Expect(HttpStatusCode.OK).As<AccessCheckResponse>();
        Assert.Equal(("deny", "denied_by_rule"), (pci.Decision, pci.Explanation.Reason));
        Assert.Equal(new RuleRefDto("dba", "deny"), Assert.Single(pci.Explanation.Rules));

        (await dave.PostAsync("/v1/access/check", new AccessCheckRequest(null, "db.teleport", "db-prod", null, null, null, null, null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await dave.PostAsync("/v1/access/check", new AccessCheckRequest(null, "db.connect", "db-prod", null, null, null, "not-an-ip", null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await dave.PostAsync("/v1/access/check", new AccessCheckRequest(null, "db.connect", "db-prod", null, null, null, null, "yesterday", null))).Expect(HttpStatusCode.BadRequest, "validation");

        // Asking about someone else needs audit.read; the refusal is audited.
        (await dave.PostAsync("/v1/access/check", new AccessCheckRequest("admin", "users.write", "-", null, null, null, null, null, null))).Expect(HttpStatusCode.Forbidden, "forbidden");
        (await dave.GetAsync("/v1/access/what-can?user=admin")).Expect(HttpStatusCode.Forbidden, "forbidden");
        (await dave.GetAsync("/v1/access/who-can?action=db.connect&resource=db-prod")).Expect(HttpStatusCode.Forbidden, "forbidden");

        var mine = (await dave.GetAsync("/v1/access/what-can")).Expect(HttpStatusCode.OK).As<WhatCanResponse>();
        Assert.Equal("dave", mine.User);
        var reachable = mine.Resources.Single(r => r.Name == "db-prod");
        Assert.Equal("standing", reachable.Mode);
        Assert.Equal(["db.connect", "db.query.read"], reachable.Actions);
        Assert.Equal("per_session", Assert.Single(reachable.Conditions).Mfa);
        // The deny rule takes db.connect away on the PCI database; reading stays.
        Assert.Equal(["db.query.read"], mine.Resources.Single(r => r.Name == "db-pci").Actions);

        var who = (await s.Admin.GetAsync("/v1/access/who-can?action=db.connect&resource=db-prod")).Expect(HttpStatusCode.OK).As<WhoCanResponse>();
        Assert.Equal(["dave"], who.Subjects.Select(x => x.Name));
        Assert.Equal("dba", Assert.Single(who.Roles).Role);
        (await s.Admin.GetAsync("/v1/access/who-can?action=db.connect&resource=nope")).Expect(HttpStatusCode.NotFound);
        var queries = (await AuditAsync(s, "access.query")).AsArray();
        Assert.Contains(queries, e => e!["target"]!.GetValue<string>() == "user/dave" && e["reason"]!.GetValue<string>() == "check");
        Assert.DoesNotContain(queries, e => e!["actor"]!["name"]!.GetValue<string>() == "dave");
    }
}
