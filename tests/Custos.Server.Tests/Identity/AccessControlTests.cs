using System.Net;
using Custos.Server.Identity;
using Custos.Server.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Custos.Server.Tests.Identity;

/// <summary>
/// Enumerates every endpoint the server maps, so a new one cannot slip through unprotected: every /v1/ endpoint
/// declares its access rule; without a session each one that is not explicitly anonymous answers 401; with the session
/// of a user holding only the default role every endpoint that names an admin action answers 403 (the policy engine
/// refuses it).
/// </summary>
public sealed class AccessControlTests
{
    /// <summary>The endpoints docs/authentication.md lists as reachable without a session.</summary>
    private static readonly string[] DocumentedAnonymous =
    [
        "POST /v1/auth/bootstrap",
        "POST /v1/auth/login",
        "POST /v1/invitations/accept",
        "POST /v1/bots/join",
        "POST /v1/bots/renew",
        "POST /v1/auth/webauthn/login/begin",
        "POST /v1/auth/webauthn/login/finish",
        "GET /v1/ca/ssh/{type}",
        "GET /v1/ca/ssh/krl",
        "POST /v1/nodes/challenge",
        "POST /v1/nodes/join",
        "POST /v1/nodes/{name}/sync",
    ];

    [Fact]
    public async Task Every_v1_endpoint_refuses_callers_without_a_session_or_without_the_admin_action()
    {
        await using var s = await IdentityScenario.StartAsync();
        var user = await s.AddUserAsync("mallory");
        using var mallory = await s.LoginAsync("mallory", user);
        using var anonymous = s.Server.Api();
        using var forged = s.Server.Api("cst_" + new string('A', 43));

        var endpoints = s.Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true).ToList();
        Assert.True(endpoints.Count >= 25, $"only {endpoints.Count} /v1 endpoints found");
        var anonymousSeen = new List<string>();
        var adminChecked = 0;
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var path = string.Join('/', endpoint.RoutePattern.RawText!.Split('/').Select(p => p.StartsWith('{') ? "someone" : p));
            var level = endpoint.Metadata.GetMetadata<AccessMetadata>()?.Level;
            var action = endpoint.Metadata.GetMetadata<ActionMetadata>()?.Action;
            foreach (var method in methods)
            {
                var name = $"{method} {endpoint.RoutePattern.RawText}";
                Assert.True(level is not null, $"{name} declares no access rule");
                if (level == AccessLevel.Anonymous)
                {
                    anonymousSeen.Add(name);
                    continue;
                }
                var body = method is "POST" or "PATCH" or "PUT" ? "{}" : null;
                var none = await anonymous.SendAsync(new HttpMethod(method), path, body);
                Assert.True(none.Status == HttpStatusCode.Unauthorized, $"{name} without a session answered {(int)none.Status}: {none.Body}");
                var fake = await forged.SendAsync(new HttpMethod(method), path, body);
                Assert.True(fake.Status == HttpStatusCode.Unauthorized, $"{name} with a forged token answered {(int)fake.Status}");
                if (action is not null)
                {
                    var user403 = await mallory.SendAsync(new HttpMethod(method), path, body);
                    Assert.True(user403.Status == HttpStatusCode.Forbidden, $"{name} with a non-admin session answered {(int)user403.Status}: {user403.Body}");
                    adminChecked++;
                }
            }
        }
        Assert.True(adminChecked >= 30, $"only {adminChecked} admin endpoints checked");
        // Nothing is anonymous that the documentation does not list.
        foreach (var name in anonymousSeen) Assert.Contains(name, DocumentedAnonymous);
        // The audit API is among the protected endpoints.
        (await mallory.GetAsync("/v1/audit/events")).Expect(HttpStatusCode.Forbidden, "forbidden");
        (await anonymous.GetAsync("/v1/audit/events")).Expect(HttpStatusCode.Unauthorized, "unauthenticated");
        var audit = (await s.Admin.GetAsync("/v1/audit/events?type=api.*&limit=1000")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("policy_denied", audit, StringComparison.Ordinal);
        Assert.Contains("token_unknown", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_metrics_and_openapi_stay_open()
    {
        await using var server = await InProcessServer.StartAsync();
        using var api = server.Api();
        (await api.GetAsync("/healthz")).Expect(HttpStatusCode.OK);
        (await api.GetAsync("/readyz")).Expect(HttpStatusCode.OK);
        (await api.GetAsync("/openapi.json")).Expect(HttpStatusCode.OK);
    }
}
