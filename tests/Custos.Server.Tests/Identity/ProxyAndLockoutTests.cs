using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>
/// Client addresses behind a trusted proxy, and the lockout rules that depend on them: a lockout of one user from
/// one address leaves other addresses alone, and a distributed attack that locks the user everywhere does not lock
/// out an address the user logged in from before.
/// </summary>
public sealed class ProxyAndLockoutTests
{
    private static readonly Dictionary<string, string?> BehindProxy = new() { ["server.trusted_proxies"] = "127.0.0.1" };

    private static async Task<ApiResponse> LoginFromAsync(IdentityApi api, string address, LoginRequest request)
    {
        api.Client.DefaultRequestHeaders.Remove("X-Forwarded-For");
        api.Client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return await api.PostAsync("/v1/auth/login", request);
    }

    [Fact]
    public async Task X_forwarded_for_is_believed_only_from_a_trusted_proxy()
    {
        await using (var trusted = await IdentityScenario.StartAsync(BehindProxy))
        {
            using var api = trusted.Server.Api();
            // A client-supplied entry on the left cannot hide the address the proxy saw (the rightmost untrusted one).
            await LoginFromAsync(api, "198.51.100.7, 203.0.113.9", new LoginRequest("admin", "wrong password here", null, null));
            var audit = (await trusted.Admin.GetAsync("/v1/audit/events?type=user.login&outcome=failure")).Expect(HttpStatusCode.OK).Body;
            Assert.Contains("\"ip\":\"203.0.113.9\"", audit, StringComparison.Ordinal);
        }
        await using var direct = await IdentityScenario.StartAsync();
        using var client = direct.Server.Api();
        await LoginFromAsync(client, "203.0.113.9", new LoginRequest("admin", "wrong password here", null, null));
        var events = (await direct.Admin.GetAsync("/v1/audit/events?type=user.login&outcome=failure")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("\"ip\":\"127.0.0.1\"", events, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.9", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lockout_from_one_address_leaves_the_others_and_known_addresses_survive_a_distributed_attack()
    {
        await using var s = await IdentityScenario.StartAsync(BehindProxy);
        var victim = await s.AddUserAsync("victim");
        using var api = s.Server.Api();
        // The victim logs in once from their workstation: that address becomes known.
        s.NextStep();
        (await LoginFromAsync(api, "192.0.2.10", new LoginRequest("victim", IdentityScenario.UserPassword, victim.CodeAt(s.Now), null))).Expect(HttpStatusCode.OK);

        // An attacker at 203.0.113.1 fails five times: that address is locked for this user ...
        for (var i = 0; i < 5; i++) await LoginFromAsync(api, "203.0.113.1", new LoginRequest("victim", "guess number " + i + " wrong", null, null));
        (await LoginFromAsync(api, "203.0.113.1", new LoginRequest("victim", IdentityScenario.UserPassword, null, null))).Expect(HttpStatusCode.TooManyRequests, "locked-out");
        // ... another address is not.
        s.NextStep();
        (await LoginFromAsync(api, "198.51.100.20", new LoginRequest("victim", IdentityScenario.UserPassword, victim.CodeAt(s.Now), null))).Expect(HttpStatusCode.OK);

        // A distributed attack from many addresses reaches the user-wide threshold (20) ...
        for (var i = 0; i < 20; i++) await LoginFromAsync(api, $"203.0.113.{100 + i}", new LoginRequest("victim", "distributed guess " + i, null, null));
        (await LoginFromAsync(api, "203.0.113.250", new LoginRequest("victim", IdentityScenario.UserPassword, null, null))).Expect(HttpStatusCode.TooManyRequests, "locked-out");
        // ... but the victim's known workstation still gets in.
        s.NextStep();
        (await LoginFromAsync(api, "192.0.2.10", new LoginRequest("victim", IdentityScenario.UserPassword, victim.CodeAt(s.Now), null))).Expect(HttpStatusCode.OK);
    }
}
