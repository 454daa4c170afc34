using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>Hostile and malformed input to the identity API: precise 4xx problems, audit events, no state change.</summary>
public sealed class IdentityBadInputTests
{
    [Theory]
    [InlineData("admin'--")]
    [InlineData("a; DROP TABLE identities")]
    [InlineData("bell\u0007")]
    [InlineData("\u0430dmin")] // Cyrillic а followed by Latin letters
    [InlineData("")]
    [InlineData("name with spaces")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task Hostile_names_are_refused_with_a_validation_problem(string name)
    {
        await using var s = await IdentityScenario.StartAsync();
        var response = (await s.Admin.PostAsync("/v1/users", new CreateUserRequest(name, null, null, null, null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(response.Node["errors"]?["name"]);
        var users = (await s.Admin.GetAsync("/v1/users")).Expect(HttpStatusCode.OK).As<UserListResponse>();
        Assert.Single(users.Users);
    }

    [Fact]
    public async Task Malformed_bodies_get_precise_problems_and_change_nothing()
    {
        await using var s = await IdentityScenario.StartAsync();
        (await s.Admin.SendAsync(HttpMethod.Post, "/v1/users", "{\"name\": ")).Expect(HttpStatusCode.BadRequest, "malformed-json");
        (await s.Admin.SendAsync(HttpMethod.Post, "/v1/users", "{\"name\": \"x\", \"is_admin\": true}")).Expect(HttpStatusCode.BadRequest, "malformed-json");
        (await s.Admin.SendAsync(HttpMethod.Post, "/v1/users", "{\"name\": 42}")).Expect(HttpStatusCode.BadRequest, "malformed-json");
        (await s.Admin.SendAsync(HttpMethod.Post, "/v1/users", "name=x", "application/x-www-form-urlencoded")).Expect(HttpStatusCode.UnsupportedMediaType);
        (await s.Admin.SendAsync(HttpMethod.Post, "/v1/users", "{\"name\": \"" + new string('a', 70_000) + "\"}")).Expect(HttpStatusCode.RequestEntityTooLarge);
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("zed", null, null, ["root"], null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("zed", null, "not-an-email", null, null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("zed", null, null, null, new Dictionary<string, IReadOnlyList<string>> { ["bad key!"] = ["x"] }, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        var users = (await s.Admin.GetAsync("/v1/users")).Expect(HttpStatusCode.OK).As<UserListResponse>();
        Assert.Single(users.Users);
        var audit = (await s.Admin.GetAsync("/v1/audit/events?type=api.request.invalid&limit=100")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("status_400", audit, StringComparison.Ordinal);
        Assert.Contains("status_413", audit, StringComparison.Ordinal);
        Assert.Contains("status_415", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_expired_and_malformed_tokens_are_refused_with_401_and_audited()
    {
        await using var s = await IdentityScenario.StartAsync();
        using var anonymous = s.Server.Api();
        foreach (var token in new[] { "cst_" + new string('B', 43), "not-a-token", "cst_short", "cst_" + new string('=', 43) })
        {
            anonymous.Token = token;
            (await anonymous.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized, "unauthenticated");
        }
        anonymous.Token = null;
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest("cit_0123456789abcdef_" + new string('C', 43), IdentityScenario.UserPassword, null, null)))
            .Expect(HttpStatusCode.Unauthorized, "invalid-token");
        (await anonymous.PostAsync("/v1/bots/join", new BotJoinRequest("cbj_garbage"))).Expect(HttpStatusCode.Unauthorized, "invalid-token");
        (await anonymous.PostAsync("/v1/bots/renew", new BotRenewRequest("cbc_0123456789abcdef_1_" + new string('D', 43)))).Expect(HttpStatusCode.Unauthorized, "invalid-credential");
        var audit = (await s.Admin.GetAsync("/v1/audit/events?limit=1000")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("token_unknown", audit, StringComparison.Ordinal);
        Assert.Contains("token_malformed", audit, StringComparison.Ordinal);
        Assert.Contains("invitation.accept", audit, StringComparison.Ordinal);
        Assert.Contains("bot.renew", audit, StringComparison.Ordinal);
    }
}
