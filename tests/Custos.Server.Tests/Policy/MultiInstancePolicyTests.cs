using System.Diagnostics;
using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Policy;

/// <summary>
/// Two <c>custos serve</c> processes sharing one PostgreSQL database: the built-in roles are written once, and a role
/// change made on one instance governs the other within the policy poll interval.
/// </summary>
public sealed class MultiInstancePolicyTests(SharedPostgres shared) : IDisposable
{
    private readonly TempDirectory _root = new("custos-policy-pg");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_role_change_on_one_instance_reaches_the_other_within_the_poll_interval()
    {
        var database = await shared.CreateDatabaseAsync();
        await using var two = await TwoInstances.StartAsync(database.Url, _root.Path, new Dictionary<string, string?> { ["CUSTOS_POLICY__POLL_INTERVAL"] = "200ms" });
        var (onFirst, onOther) = (two.OnFirst, two.OnOther);
        onFirst.Token = two.Login.Token;
        onOther.Token = two.Login.Token;

        // Both instances started on an empty database; the built-in roles exist once.
        var roles = (await onOther.GetAsync("/v1/roles")).Expect(HttpStatusCode.OK).As<RoleListResponse>();
        Assert.Equal(["admin", "auditor", "user"], roles.Roles.Select(r => r.Name));

        // A resource and a role created on the first instance decide on the other.
        (await onFirst.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "10.0.0.5", null, null, null, null, new Dictionary<string, string> { ["env"] = "prod" }, null)))
            .Expect(HttpStatusCode.Created);
        (await onFirst.PostAsync("/v1/roles", new RoleWriteRequest("kind: role\nname: readers\nallow:\n  resources: [{ kind: database }]\n  actions: [db.query.read]\n  db_users: [ro]\n  db_names: [\"*\"]\n", null)))
            .Expect(HttpStatusCode.Created);
        (await onFirst.PostAsync("/v1/users", new CreateUserRequest("bob", null, null, ["readers"], null, null))).Expect(HttpStatusCode.Created);
        var check = new AccessCheckRequest("bob", "db.query.read", "db-1", null, "ro", null, null, null, null);
        Assert.Equal("allow", (await onFirst.PostAsync("/v1/access/check", check)).Expect(HttpStatusCode.OK).As<AccessCheckResponse>().Decision);
        var clock = Stopwatch.StartNew();
        AccessCheckResponse answer;
        while ((answer = (await onOther.PostAsync("/v1/access/check", check)).Expect(HttpStatusCode.OK).As<AccessCheckResponse>()).Decision != "allow")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the other instance never allowed what the new role allows: " + answer.Explanation.Message);
            await Task.Delay(50);
        }

        // Deleting the role's grant on the first instance takes it away on the other within the poll interval.
        var role = (await onFirst.GetAsync("/v1/roles/readers")).Expect(HttpStatusCode.OK).As<RoleDto>();
        (await onFirst.SendAsync(HttpMethod.Put, "/v1/roles/readers", new RoleWriteRequest(role.Yaml + "deny:\n  resources: [{ kind: database, labels: { env: prod } }]\n  actions: [db.*]\n", role.Revision)))
            .Expect(HttpStatusCode.OK);
        clock.Restart();
        while ((await onOther.PostAsync("/v1/access/check", check)).Expect(HttpStatusCode.OK).As<AccessCheckResponse>().Decision != "deny")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the other instance still allows after the deny was added");
            await Task.Delay(50);
        }
        var exitCodes = await two.StopAsync();
        Assert.Equal(new[] { 0, 0 }, exitCodes);
    }
}
