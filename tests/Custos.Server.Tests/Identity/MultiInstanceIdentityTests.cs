using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Custos.Core.Identity;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Identity;

/// <summary>
/// Two <c>custos serve</c> processes sharing one PostgreSQL database: a session made on one works on the other, a TOTP
/// code used on one is refused on the other, and a revocation on one reaches the other within the poll interval.
/// </summary>
public sealed class MultiInstanceIdentityTests(SharedPostgres shared) : IDisposable
{
    private readonly TempDirectory _root = new("custos-identity-pg");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Sessions_totp_steps_and_revocations_are_shared_by_instances()
    {
        var database = await shared.CreateDatabaseAsync();
        await using var two = await TwoInstances.StartAsync(database.Url, _root.Path, new Dictionary<string, string?> { ["CUSTOS_AUTH__REVOCATION_POLL_INTERVAL"] = "200ms" });
        var (onFirst, onOther, login) = (two.OnFirst, two.OnOther, two.Login);
        var code = two.LoginCode;
        // The same code on the other instance is a replay (the last used step is in the shared database).
        (await onOther.PostAsync("/v1/auth/login", new LoginRequest("admin", ServerProcess.AdminPassword, code, null)))
            .Expect(HttpStatusCode.Unauthorized, "login-failed");

        onFirst.Token = login.Token;
        onOther.Token = login.Token;
        (await onOther.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK); // cached on the other instance now
        (await onFirst.PostAsync("/v1/auth/logout")).Expect(HttpStatusCode.NoContent);
        (await onFirst.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized);
        // The other instance learns of the revocation by polling (auth.revocation_poll_interval = 200ms here).
        var clock = Stopwatch.StartNew();
        while ((await onOther.GetAsync("/v1/auth/whoami")).Status == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the revoked session still works on the other instance after 10 s");
            await Task.Delay(50);
        }
        var exitCodes = await two.StopAsync();
        Assert.Equal(new[] { 0, 0 }, exitCodes);
    }
}
