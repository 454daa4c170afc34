using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Storage;

/// <summary>A PostgreSQL cluster of its own, so these tests can take it down without disturbing the others.</summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await PostgresCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

/// <summary>
/// <c>custos serve</c> on PostgreSQL: it rides out an unreachable database (alive but not ready, retrying with a clear
/// log line), and several instances share one database and one audit chain.
/// </summary>
public sealed class PostgresServeTests(PrivatePostgres outage, SharedPostgres shared) : IClassFixture<PrivatePostgres>, IDisposable
{
    private static readonly Dictionary<string, string?> FastRetry = new() { ["CUSTOS_DATABASE__RETRY_MAX"] = "1s" };
    private readonly TempDirectory _root = new("custos-pg");

    public void Dispose() => _root.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> OutageDatabaseUrlAsync()
    {
        var connectionString = await outage.Cluster.CreateDatabaseAsync();
        return outage.Cluster.Url(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    /// <summary>Polls until <paramref name="path"/> answers <paramref name="status"/>; returns that response's body.</summary>
    private static async Task<string> WaitForStatusAsync(ServerProcess server, string path, HttpStatusCode status, string? bearer = null)
    {
        var deadline = DateTime.UtcNow + Timeouts.Ready;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (server.Process.HasExited) throw new InvalidOperationException($"custos exited with {server.Process.ExitCode}:\n{server.Output}");
            if (File.Exists(server.CertificateFile))
            {
                try
                {
                    using var client = server.CreateClient();
                    if (bearer is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
                    using var response = await client.GetAsync(path, Ct);
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    if (response.StatusCode == status) return body;
                    last = $"{(int)response.StatusCode} {body}";
                }
                catch (Exception e) when (e is HttpRequestException or System.Security.Cryptography.CryptographicException or IOException)
                {
                    last = e.Message;
                }
            }
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException($"{path} did not answer {(int)status} within {Timeouts.Ready}; last: {last}\n{server.Output}");
    }

    [Fact]
    public async Task Server_started_while_postgres_is_down_is_alive_not_ready_and_recovers_when_it_returns()
    {
        var url = await OutageDatabaseUrlAsync();
        await outage.Cluster.StopAsync();
        var down = true;
        try
        {
            await using var server = ServerProcess.Start(_root.Combine("down-at-start"), ["--database", url], FastRetry);

            await server.WaitForOutputAsync("retrying in", Timeouts.Ready);
            Assert.Contains("/readyz fails until it recovers", server.Output, StringComparison.Ordinal);
            await WaitForStatusAsync(server, "/healthz", HttpStatusCode.OK);
            var notReady = JsonDocument.Parse(await WaitForStatusAsync(server, "/readyz", HttpStatusCode.ServiceUnavailable)).RootElement;
            Assert.Equal(503, notReady.GetProperty("status").GetInt32());
            Assert.Contains("unreachable", notReady.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("custos_ready 0", await WaitForStatusAsync(server, "/metrics", HttpStatusCode.OK), StringComparison.Ordinal);
            // Fail closed: nothing that needs storage answers while it is away — not even the check of a bearer token.
            await WaitForStatusAsync(server, "/v1/audit/events", HttpStatusCode.ServiceUnavailable, "cst_" + new string('A', 43));

            await outage.Cluster.RestartAsync();
            down = false;
            await server.WaitReadyAsync();
            Assert.Contains("reached after", server.Output, StringComparison.Ordinal);
            using (var admin = await server.CreateAdminClientAsync())
                Assert.Contains("\"type\":\"server.start\"", await admin.GetStringAsync("/v1/audit/events", Ct), StringComparison.Ordinal);
            Assert.Equal(0, await server.StopAsync());
        }
        finally
        {
            if (down) await outage.Cluster.RestartAsync();
        }
    }

    [Fact]
    public async Task Postgres_outage_while_running_fails_readyz_until_the_database_returns()
    {
        var url = await OutageDatabaseUrlAsync();
        await using var server = await ServerProcess.StartReadyAsync(_root.Combine("down-later"), ["--database", url], FastRetry);
        await outage.Cluster.StopAsync();
        try
        {
            var notReady = JsonDocument.Parse(await WaitForStatusAsync(server, "/readyz", HttpStatusCode.ServiceUnavailable)).RootElement;
            Assert.Equal("urn:custos:problem:unavailable", notReady.GetProperty("type").GetString());
            await WaitForStatusAsync(server, "/healthz", HttpStatusCode.OK);
        }
        finally
        {
            await outage.Cluster.RestartAsync();
        }
        await server.WaitReadyAsync();
        Assert.Equal(0, await server.StopAsync());
        var verify = await CustosCli.RunAsync("audit", "verify", "--database", url);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Sigterm_during_an_outage_exits_promptly_and_the_log_still_verifies_afterwards()
    {
        var url = await OutageDatabaseUrlAsync();
        await using var server = await ServerProcess.StartReadyAsync(_root.Combine("stop-while-down"), ["--database", url], FastRetry);
        await outage.Cluster.StopAsync();
        int exitCode;
        try
        {
            await WaitForStatusAsync(server, "/readyz", HttpStatusCode.ServiceUnavailable);
            exitCode = await server.StopAsync();
        }
        finally
        {
            await outage.Cluster.RestartAsync();
        }
        Assert.True(exitCode == 0, $"exit {exitCode}:\n{server.Output}");
        Assert.Contains("server.stop could not be recorded", server.Output, StringComparison.Ordinal);
        var verify = await CustosCli.RunAsync("audit", "verify", "--database", url);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Two_instances_on_one_postgres_database_both_start_and_append_to_one_intact_chain()
    {
        var database = await shared.CreateDatabaseAsync();
        var environment = new Dictionary<string, string?> { ["CUSTOS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        // One instance names the database by URL, the other by an Npgsql connection string.
        var connectionString = $"Host=127.0.0.1;Port={shared.Cluster.Port};Username=postgres;Database={database.Url[(database.Url.LastIndexOf('/') + 1)..]}";
        await using var first = ServerProcess.Start(_root.Combine("first"), ["--database", database.Url], environment);
        await using var second = ServerProcess.Start(_root.Combine("second"), ["--database", connectionString], environment);

        await Task.WhenAll(first.WaitReadyAsync(), second.WaitReadyAsync());
        var exitCodes = await Task.WhenAll(first.StopAsync(), second.StopAsync());
        Assert.Equal([0, 0], exitCodes);

        var events = await database.EventsAsync();
        Assert.Single(events, e => e.Type == "audit.key.create");
        var starts = events.Where(e => e.Type == "server.start").Select(e => JsonDocument.Parse(e.Details).RootElement.GetProperty("listen").GetString());
        Assert.Equal(new[] { $"127.0.0.1:{first.Port}", $"127.0.0.1:{second.Port}" }.Order(), starts.Order());
        Assert.Equal(2, events.Count(e => e.Type == "server.stop"));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.False(File.Exists(Path.Combine(first.DataDir, "master.key")), "CUSTOS_MASTER_KEY was given, yet a master.key file was written");

        // One installation, one first start: exactly one bootstrap token is issued, and the file that holds it is valid.
        Assert.Single(events, e => e.Type == "bootstrap.token.issue");
        var unused = await database.ScalarAsync("SELECT string_agg(id, ',') FROM bootstrap_tokens WHERE used_at_us IS NULL");
        var files = new[] { first.DataDir, second.DataDir }.Select(d => Path.Combine(d, "bootstrap.token")).Where(File.Exists).ToList();
        var file = Assert.Single(files);
        Assert.Equal((await File.ReadAllTextAsync(file, Ct)).Trim().Split('_')[1], unused);

        var verify = await CustosCli.VerifyAsync(database);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(events.Count, verify.Json.GetProperty("events").GetInt32());
        Assert.Equal(events[^1].Head, verify.Json.GetProperty("head").GetString());
    }
}
