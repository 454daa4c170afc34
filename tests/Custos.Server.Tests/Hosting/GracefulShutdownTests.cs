using System.Net;
using System.Text;
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
        Assert.Equal(["audit.key.create", "server.start", "role.create", "role.create", "role.create", "ssh_ca.create", "ssh_ca.create", "bootstrap.token.issue", "server.stop"], events.Select(e => e.Type));
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

    [Fact]
    public async Task Request_in_flight_at_sigterm_finishes_before_the_server_stops()
    {
        var copy = await installations.CopyAsync(DatabaseEngine.Sqlite);
        await using var server = await ServerProcess.StartReadyAsync(copy.DataDir);
        using var client = await server.CreateAdminClientAsync();
        var body = new TrickledContent("{\"type\": \"server.*\", ", "\"limit\": 10}");

        var inFlight = client.PostAsync("/v1/audit/events/search", body, TestContext.Current.CancellationToken);
        await body.FirstPartSent;
        server.Process.Signal(15);
        await server.WaitForOutputAsync("Application is shutting down", Timeouts.Ready);
        body.SendTheRest();

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"server.start\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, await server.Process.WaitForExitAsync(Timeouts.Exit));
        Assert.Equal("server.stop", (await copy.Database.EventsAsync())[^1].Type);
    }

    /// <summary>A JSON body sent in two parts, the second only when the test says so.</summary>
    private sealed class TrickledContent : HttpContent
    {
        private readonly string _first;
        private readonly string _rest;
        private readonly TaskCompletionSource _firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _sendRest = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TrickledContent(string first, string rest)
        {
            _first = first;
            _rest = rest;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        public Task FirstPartSent => _firstSent.Task;

        public void SendTheRest() => _sendRest.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(_first));
            await stream.FlushAsync();
            _firstSent.TrySetResult();
            await _sendRest.Task;
            await stream.WriteAsync(Encoding.UTF8.GetBytes(_rest));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
