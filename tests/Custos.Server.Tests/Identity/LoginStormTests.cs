using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>Argon2id slots are capped: a login storm waits briefly, then gets 503 with Retry-After instead of exhausting memory.</summary>
public sealed class LoginStormTests
{
    [Fact]
    public async Task Logins_beyond_the_hashing_capacity_get_503_with_retry_after()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["auth.password_hash_concurrency"] = "1",
            ["auth.password_hash_queue_timeout"] = "10ms",
        });
        var clients = Enumerable.Range(0, 12).Select(_ => server.Api()).ToList();
        try
        {
            var answers = await Task.WhenAll(clients.Select((api, i) =>
                api.PostAsync("/v1/auth/login", new LoginRequest("storm" + i, "not a real password " + i, null, null))));
            var busy = answers.Where(a => a.Status == HttpStatusCode.ServiceUnavailable).ToList();
            Assert.NotEmpty(busy);
            Assert.All(busy, a =>
            {
                Assert.Equal("busy", a.Problem);
                Assert.NotNull(a.RetryAfter);
            });
            Assert.All(answers.Except(busy), a => a.Expect(HttpStatusCode.Unauthorized, "login-failed"));
        }
        finally
        {
            foreach (var api in clients) api.Dispose();
        }
    }
}
