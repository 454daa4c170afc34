using Custos.Core.Policy;

namespace Custos.Storage.Tests;

/// <summary>The policy storage contract (<see cref="IPolicyStore"/>), run on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreContract
{
    private static StoredResource Node(string name, string env = "prod", long revision = 1) =>
        new(name, ResourceKind.SshNode, "10.0.0.5", 22, [], "SHA256:abc", false, null,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["team"] = "payments", ["env"] = env }, revision, T0, T0);

    private static StoredResource Db(string name) =>
        new(name, ResourceKind.Database, "db.internal", 5432, ["orders", "billing"], null, true, null,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["data"] = "pci" }, 1, T0, T0.AddSeconds(1));

    private static StoredRole Role(string name, string yaml = "kind: role\n", long revision = 1) => new(name, yaml, revision, T0, "alice");

    private static void AssertSameResource(StoredResource expected, StoredResource? actual)
    {
        Assert.NotNull(actual);
        // The collections compare by content below; the rest as a record, with the collections made the same instances.
        Assert.Equal(expected, actual with { DatabaseNames = expected.DatabaseNames, Labels = expected.Labels });
        Assert.Equal(expected.DatabaseNames, actual.DatabaseNames);
        Assert.Equal(expected.Labels.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Labels.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Policy_resources_round_trip_in_ordinal_order()
    {
        var store = await MigratedAsync();
        var db = Db("Zeta-db");
        var node = Node("alpha") with { Url = "https://x", HostKeyFingerprint = null };
        Assert.True(await store.TryCreateResourceAsync(db, None));
        Assert.True(await store.TryCreateResourceAsync(node, None));
        AssertSameResource(db, await store.GetResourceAsync("Zeta-db", None));
        Assert.Null(await store.GetResourceAsync("zeta-db", None));
        var list = await store.ListResourcesAsync(None);
        Assert.Equal(["Zeta-db", "alpha"], list.Select(r => r.Name));
        AssertSameResource(node, list[1]);
        Assert.Equal(new PolicyResource("alpha", ResourceKind.SshNode, node.Labels), list[1].ToPolicyResource() with { Labels = node.Labels });
        Assert.Equal("payments", list[1].ToPolicyResource().Labels["team"]);
    }

    [Fact]
    public async Task Policy_resource_name_conflict_writes_nothing()
    {
        var store = await MigratedAsync();
        Assert.True(await store.TryCreateResourceAsync(Node("web-1"), None));
        var version = await store.GetPolicyVersionAsync(None);
        Assert.False(await store.TryCreateResourceAsync(Db("web-1"), None));
        Assert.Equal(ResourceKind.SshNode, (await store.GetResourceAsync("web-1", None))!.Kind);
        Assert.Equal(version, await store.GetPolicyVersionAsync(None));
    }

    [Fact]
    public async Task Policy_resource_update_needs_the_current_revision()
    {
        var store = await MigratedAsync();
        await store.TryCreateResourceAsync(Node("web-1"), None);
        var changed = Node("web-1", env: "staging") with { Port = 2222, UpdatedAt = T0.AddHours(1), CreatedAt = T0.AddDays(9) };
        Assert.Equal(PolicyUpdateResult.Updated, await store.UpdateResourceAsync(changed, 1, None));
        var stored = await store.GetResourceAsync("web-1", None);
        AssertSameResource(changed with { Revision = 2, CreatedAt = T0 }, stored);
        Assert.Equal(PolicyUpdateResult.Stale, await store.UpdateResourceAsync(Node("web-1"), 1, None));
        Assert.Equal("staging", (await store.GetResourceAsync("web-1", None))!.Labels["env"]);
        Assert.Equal(PolicyUpdateResult.NotFound, await store.UpdateResourceAsync(Node("nope"), 1, None));
    }

    [Fact]
    public async Task Policy_resources_and_roles_delete()
    {
        var store = await MigratedAsync();
        await store.TryCreateResourceAsync(Node("web-1"), None);
        await store.TryCreateRoleAsync(Role("dba"), None);
        Assert.True(await store.DeleteResourceAsync("web-1", None));
        Assert.False(await store.DeleteResourceAsync("web-1", None));
        Assert.True(await store.DeleteRoleAsync("dba", None));
        Assert.False(await store.DeleteRoleAsync("dba", None));
        Assert.Null(await store.GetResourceAsync("web-1", None));
        Assert.Null(await store.GetRoleAsync("dba", None));
        Assert.Empty(await store.ListResourcesAsync(None));
        Assert.Empty(await store.ListRolesAsync(None));
        // A name freed by a delete can be taken again.
        Assert.True(await store.TryCreateRoleAsync(Role("dba"), None));
    }

    [Fact]
    public async Task Policy_bulk_import_is_idempotent()
    {
        var store = await MigratedAsync();
        await store.TryCreateResourceAsync(Node("existing", env: "dev"), None);
        StoredResource[] batch = [Node("a"), Db("b"), Node("existing", env: "prod") with { UpdatedAt = T0.AddHours(2), Revision = 77 }];

        Assert.Equal(new ResourceImportResult(2, 1, 0), await store.UpsertResourcesAsync(batch, None));
        var afterFirst = await store.ListResourcesAsync(None);
        Assert.Equal([1L, 1L, 2L], afterFirst.Select(r => r.Revision));
        Assert.Equal("prod", afterFirst[2].Labels["env"]);
        Assert.Equal(T0.AddHours(2), afterFirst[2].UpdatedAt);
        var version = await store.GetPolicyVersionAsync(None);

        // Same content again, labels in another order and later times: nothing changes, not even the policy version.
        StoredResource[] again = [.. batch.Select(r => r with
        {
            UpdatedAt = T0.AddDays(1),
            Labels = new Dictionary<string, string>(r.Labels.Reverse(), StringComparer.Ordinal),
        })];
        Assert.Equal(new ResourceImportResult(0, 0, 3), await store.UpsertResourcesAsync(again, None));
        var afterSecond = await store.ListResourcesAsync(None);
        Assert.Equal(afterFirst.Select(r => (r.Name, r.Revision, r.UpdatedAt)), afterSecond.Select(r => (r.Name, r.Revision, r.UpdatedAt)));
        Assert.Equal(version, await store.GetPolicyVersionAsync(None));
    }

    [Fact]
    public async Task Policy_bulk_import_is_one_transaction()
    {
        var store = await MigratedAsync();
        await store.TryCreateResourceAsync(Node("existing", env: "dev"), None);
        var version = await store.GetPolicyVersionAsync(None);
        StoredResource[] batch = [Node("a"), Node("existing", env: "prod"), Node(null!)];

        await Assert.ThrowsAnyAsync<Exception>(() => store.UpsertResourcesAsync(batch, None));

        var resources = await store.ListResourcesAsync(None);
        Assert.Equal(["existing"], resources.Select(r => r.Name));
        Assert.Equal("dev", resources[0].Labels["env"]);
        Assert.Equal(1, resources[0].Revision);
        Assert.Equal(version, await store.GetPolicyVersionAsync(None));
    }

    [Fact]
    public async Task Policy_roles_round_trip_and_refuse_stale_revisions()
    {
        var store = await MigratedAsync();
        var yaml = "kind: role\nname: dba\nallow:\n  actions: [db.connect]\n";
        Assert.True(await store.TryCreateRoleAsync(Role("dba", yaml), None));
        Assert.True(await store.TryCreateRoleAsync(Role("Auditor"), None));
        Assert.False(await store.TryCreateRoleAsync(Role("dba", "kind: role\nname: other\n"), None));
        Assert.Equal(Role("dba", yaml), await store.GetRoleAsync("dba", None));
        Assert.Equal(["Auditor", "dba"], (await store.ListRolesAsync(None)).Select(r => r.Name));

        var edited = new StoredRole("dba", yaml + "requires_request: true\n", 0, T0.AddMinutes(5), "bob");
        Assert.Equal(PolicyUpdateResult.Updated, await store.UpdateRoleAsync(edited, 1, None));
        Assert.Equal(edited with { Revision = 2 }, await store.GetRoleAsync("dba", None));
        // A second editor who read revision 1 loses.
        Assert.Equal(PolicyUpdateResult.Stale, await store.UpdateRoleAsync(Role("dba", "kind: role\n") with { UpdatedBy = "carol" }, 1, None));
        Assert.Equal(edited with { Revision = 2 }, await store.GetRoleAsync("dba", None));
        Assert.Equal(PolicyUpdateResult.NotFound, await store.UpdateRoleAsync(Role("nope"), 1, None));
    }

    [Fact]
    public async Task Policy_role_mappings_are_idempotent_and_listed_in_order()
    {
        var store = await MigratedAsync();
        var dba = new RoleMapping("team", "dba", "dba-requester");
        Assert.True(await store.AddRoleMappingAsync(dba, None));
        var version = await store.GetPolicyVersionAsync(None);
        Assert.False(await store.AddRoleMappingAsync(dba with { }, None));
        Assert.Equal(version, await store.GetPolicyVersionAsync(None));
        Assert.True(await store.AddRoleMappingAsync(new RoleMapping("team", "dba", "auditor"), None));
        Assert.True(await store.AddRoleMappingAsync(new RoleMapping("dept", "it", "user"), None));
        Assert.Equal(
            [new RoleMapping("dept", "it", "user"), new RoleMapping("team", "dba", "auditor"), dba],
            await store.ListRoleMappingsAsync(None));
        Assert.True(await store.RemoveRoleMappingAsync(dba, None));
        Assert.False(await store.RemoveRoleMappingAsync(dba, None));
        Assert.Equal(2, (await store.ListRoleMappingsAsync(None)).Count);
    }

    [Fact]
    public async Task Policy_version_increases_on_each_write_and_not_on_reads()
    {
        var store = await MigratedAsync();
        var other = Track(SameDatabase());
        var last = await store.GetPolicyVersionAsync(None);
        Assert.Equal(0, last);

        async Task Increased(Func<Task> write)
        {
            await write();
            var now = await other.GetPolicyVersionAsync(None);
            Assert.True(now > last, $"version {now} after a write, was {last}");
            last = now;
        }

        async Task Unchanged(Func<Task> read)
        {
            await read();
            Assert.Equal(last, await other.GetPolicyVersionAsync(None));
        }

        await Increased(() => store.TryCreateResourceAsync(Node("a"), None));
        await Increased(() => store.UpdateResourceAsync(Node("a", env: "dev"), 1, None));
        await Increased(() => store.UpsertResourcesAsync([Node("b")], None));
        await Increased(() => store.DeleteResourceAsync("b", None));
        await Increased(() => store.TryCreateRoleAsync(Role("r"), None));
        await Increased(() => store.UpdateRoleAsync(Role("r", "kind: role\n# v2\n"), 1, None));
        await Increased(() => store.DeleteRoleAsync("r", None));
        await Increased(() => store.AddRoleMappingAsync(new RoleMapping("k", "v", "r"), None));
        await Increased(() => store.RemoveRoleMappingAsync(new RoleMapping("k", "v", "r"), None));

        await Unchanged(() => store.GetResourceAsync("a", None));
        await Unchanged(() => store.ListResourcesAsync(None));
        await Unchanged(() => store.GetRoleAsync("r", None));
        await Unchanged(() => store.ListRolesAsync(None));
        await Unchanged(() => store.ListRoleMappingsAsync(None));
        // Refused writes change nothing either.
        await Unchanged(() => store.TryCreateResourceAsync(Node("a"), None));
        await Unchanged(() => store.UpdateResourceAsync(Node("a"), 1, None));
        await Unchanged(() => store.DeleteRoleAsync("r", None));
        await Unchanged(() => store.RemoveRoleMappingAsync(new RoleMapping("k", "v", "r"), None));
    }
}
