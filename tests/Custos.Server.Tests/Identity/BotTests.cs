using System.Net;
using Custos.Server.Api.Identity;

namespace Custos.Server.Tests.Identity;

/// <summary>Bots and agents: join token → short-lived credentials → renewal by generation → a stolen copy is caught.</summary>
public sealed class BotTests
{
    [Fact]
    public async Task Join_renew_and_a_reused_generation_suspends_the_bot()
    {
        await using var s = await IdentityScenario.StartAsync();
        var created = (await s.Admin.PostAsync("/v1/bots", new CreateBotRequest("ci-deploy", "agent", ["user"], null, "30m", null)))
            .Expect(HttpStatusCode.Created).As<CreateBotResponse>();
        Assert.Equal("agent", created.Bot.Kind);
        Assert.StartsWith("cbj_", created.JoinToken.Token, StringComparison.Ordinal);
        using var anonymous = s.Server.Api();
        var joined = (await anonymous.PostAsync("/v1/bots/join", new BotJoinRequest(created.JoinToken.Token))).Expect(HttpStatusCode.OK).As<BotCredentialResponse>();
        Assert.Equal(1, joined.Generation);
        (await anonymous.PostAsync("/v1/bots/join", new BotJoinRequest(created.JoinToken.Token))).Expect(HttpStatusCode.Unauthorized, "invalid-token");
        // Bots never log in with a password.
        (await anonymous.PostAsync("/v1/auth/login", new LoginRequest("ci-deploy", "whatever password 123", null, null))).Expect(HttpStatusCode.Unauthorized, "login-failed");

        using var bot = s.Server.Api(joined.AccessToken);
        var me = (await bot.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK).As<WhoAmIResponse>();
        Assert.Equal("ci-deploy", me.User.Name);
        var expires = DateTimeOffset.Parse(me.Session.ExpiresAt, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, s.Now.AddMinutes(30).AddSeconds(-2), s.Now.AddMinutes(30).AddSeconds(2));

        s.Server.Time.Advance(TimeSpan.FromMinutes(20));
        var renewed = (await anonymous.PostAsync("/v1/bots/renew", new BotRenewRequest(joined.Credential))).Expect(HttpStatusCode.OK).As<BotCredentialResponse>();
        Assert.Equal(2, renewed.Generation);
        (await bot.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized); // the old access token ended with the renewal
        using var bot2 = s.Server.Api(renewed.AccessToken);
        (await bot2.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK);

        // Someone kept a copy of generation 1 and presents it: the bot is suspended and every session revoked.
        (await anonymous.PostAsync("/v1/bots/renew", new BotRenewRequest(joined.Credential))).Expect(HttpStatusCode.Unauthorized, "credential-reused");
        (await bot2.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized);
        var view = (await s.Admin.GetAsync("/v1/users/ci-deploy")).Expect(HttpStatusCode.OK).As<UserDto>();
        Assert.Equal("suspended", view.Status);
        (await anonymous.PostAsync("/v1/bots/renew", new BotRenewRequest(renewed.Credential))).Expect(HttpStatusCode.Forbidden, "identity-inactive");
        var audit = (await s.Admin.GetAsync("/v1/audit/events?type=bot.*&limit=100")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("bot.credential.reuse", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(joined.Credential, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_credential_cannot_be_renewed()
    {
        await using var s = await IdentityScenario.StartAsync();
        var created = (await s.Admin.PostAsync("/v1/bots", new CreateBotRequest("nightly", null, null, null, "5m", null))).Expect(HttpStatusCode.Created).As<CreateBotResponse>();
        using var anonymous = s.Server.Api();
        var joined = (await anonymous.PostAsync("/v1/bots/join", new BotJoinRequest(created.JoinToken.Token))).Expect(HttpStatusCode.OK).As<BotCredentialResponse>();
        s.Server.Time.Advance(TimeSpan.FromMinutes(6));
        (await anonymous.PostAsync("/v1/bots/renew", new BotRenewRequest(joined.Credential))).Expect(HttpStatusCode.Unauthorized, "credential-expired");
        var fresh = (await s.Admin.PostAsync("/v1/bots/nightly/join-token")).Expect(HttpStatusCode.OK).As<InvitationDto>();
        (await anonymous.PostAsync("/v1/bots/join", new BotJoinRequest(fresh.Token))).Expect(HttpStatusCode.OK);
    }
}
