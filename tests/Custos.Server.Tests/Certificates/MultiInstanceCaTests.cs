using System.Diagnostics;
using System.Net;
using Custos.Server.Api.Certificates;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// Two <c>custos serve</c> processes sharing one PostgreSQL database: both use the same CA keys from the start, and a
/// rotation step made on one instance is trusted and signs on the other within the poll interval.
/// </summary>
public sealed class MultiInstanceCaTests(SharedPostgres shared) : IDisposable
{
    private readonly TempDirectory _root = new("custos-ca-pg");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_rotation_step_on_one_instance_reaches_the_other_within_the_poll_interval()
    {
        var database = await shared.CreateDatabaseAsync();
        await using var two = await TwoInstances.StartAsync(database.Url, _root.Path, new Dictionary<string, string?> { ["CUSTOS_POLICY__POLL_INTERVAL"] = "200ms" });
        var (onFirst, onOther) = (two.OnFirst, two.OnOther);
        onFirst.Token = two.Login.Token;
        onOther.Token = two.Login.Token;
        var before = (await onOther.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        Assert.Equal(Assert.Single(before.Keys).PublicKey, Assert.Single((await onFirst.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>().Keys).PublicKey);

        (await onFirst.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("init", null, null))).Expect(HttpStatusCode.OK);
        (await onFirst.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("update_clients", null, null))).Expect(HttpStatusCode.OK);
        var onFirstNow = (await onFirst.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        Assert.Equal(["active", "previous"], onFirstNow.Keys.Select(k => k.State));

        // The other instance reloads the keys: the new one first (it signs), the old one still trusted.
        var clock = Stopwatch.StartNew();
        CaPublicKeysResponse seen;
        while ((seen = (await onOther.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>()).Keys[0].PublicKey != onFirstNow.Keys[0].PublicKey)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the other instance never picked up the rotation step");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(onFirstNow.Lines, seen.Lines);
        var exitCodes = await two.StopAsync();
        Assert.Equal(new[] { 0, 0 }, exitCodes);
    }
}
