using Custos.Server.Tests.Fixtures;
using Custos.Storage;

namespace Custos.Server.Tests.Hosting;

/// <summary>SIGTERM: the server exits 0 after recording server.stop and signing a final checkpoint at the head.</summary>
[Collection(StoppedInstallationsDefinition.Name)]
public sealed class GracefulShutdownTests(StoppedInstallations installations)
{
    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public void Sigterm_exits_0(DatabaseEngine engine)
    {
        var installation = installations[engine];
        Assert.True(installation.ExitCode == 0, $"exit {installation.ExitCode}:\n{installation.Output}");
        Assert.Contains("Audit log flushed; head ", installation.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Server_stop_is_the_last_event(DatabaseEngine engine)
    {
        var events = await installations[engine].Database.EventsAsync();
        Assert.Equal(["audit.key.create", "server.start", "bootstrap.token.issue", "server.stop"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("success", e.Outcome));
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Final_checkpoint_is_signed_at_the_head(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var head = (await database.EventsAsync())[^1];
        var last = (await database.CheckpointsAsync())[^1];
        Assert.Equal(head.Seq, last.Seq);
        Assert.Equal(head.Hash, last.HeadHash);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Log_left_by_a_graceful_shutdown_verifies_with_every_checkpoint(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var result = await CustosCli.VerifyAsync(database, "--trusted-key", await database.AuditPublicKeyAsync());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.Json.GetProperty("intact").GetBoolean());
        Assert.Equal((await database.CheckpointsAsync()).Count, result.Json.GetProperty("checkpoints_verified").GetInt32());
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Restart_continues_the_same_chain_and_sigint_stops_it_as_gracefully(DatabaseEngine engine)
    {
        var copy = await installations.CopyAsync(engine);
        var before = await copy.Database.EventsAsync();
        await using (var server = await ServerProcess.StartReadyAsync(copy.DataDir, engine == DatabaseEngine.Postgres ? ["--database", copy.Database.Url] : null))
        {
            Assert.Equal(0, await server.StopAsync(signal: 2));
            // A restart issues no second bootstrap token and creates no second audit key.
            Assert.DoesNotContain("bootstrap token", server.Process.Stdout, StringComparison.Ordinal);
        }
        var after = await copy.Database.EventsAsync();
        Assert.Equal(before.Select(e => e.Head), after.Take(before.Count).Select(e => e.Head));
        Assert.Equal(["server.start", "server.stop"], after.Skip(before.Count).Select(e => e.Type));
        Assert.Equal(before[^1].Hash, after[before.Count].PrevHash);
        var verify = await CustosCli.VerifyAsync(copy.Database, "--expect-head", before[^1].Head);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(after[^1].Seq, (await copy.Database.CheckpointsAsync())[^1].Seq);
    }
}
