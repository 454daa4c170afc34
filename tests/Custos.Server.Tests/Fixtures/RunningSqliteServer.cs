using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// One <c>custos serve</c> on embedded SQLite, started on an empty data directory at trace log level (so a leaked
/// secret in any log line would show). Two offline <c>custos admin bootstrap-token</c> runs against the same data
/// directory add events by another actor, so the audit API has something to filter and page through.
/// </summary>
public sealed class RunningSqliteServer : IAsyncLifetime
{
    private readonly TempDirectory _root = new("custos-api");
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public string DataDir => _root.Combine("data");

    /// <summary>The token the first start wrote, read before anything replaced it.</summary>
    public string FirstBootstrapToken { get; private set; } = "";

    /// <summary>The token the admin runs left in DIR/bootstrap.token (consumed by the fixture's bootstrap).</summary>
    public string LatestBootstrapToken { get; private set; } = "";

    /// <summary>The mode DIR/bootstrap.token had before the fixture's bootstrap consumed (and deleted) it.</summary>
    public UnixFileMode BootstrapTokenFileMode { get; private set; }

    /// <summary>Terminal output of the admin commands run against this installation.</summary>
    public List<CliResult> AdminRuns { get; } = [];

    /// <summary>A client with an administrator's session (bootstrapped after the admin runs above).</summary>
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartReadyAsync(DataDir, ["--log-level", "trace"]);
        FirstBootstrapToken = (await File.ReadAllTextAsync(Path.Combine(DataDir, "bootstrap.token"))).Trim();
        for (var i = 0; i < 2; i++)
        {
            var run = await CustosCli.RunAsync("admin", "bootstrap-token", "--data-dir", DataDir);
            if (run.ExitCode != 0) throw new InvalidOperationException("custos admin bootstrap-token failed: " + run);
            AdminRuns.Add(run);
        }
        // The audit API is for administrators: bootstrap one with the newest token and log in. Bootstrap deletes the
        // consumed token file, so what the tests check about it is recorded first.
        var tokenFile = Path.Combine(DataDir, "bootstrap.token");
        LatestBootstrapToken = (await File.ReadAllTextAsync(tokenFile)).Trim();
        BootstrapTokenFileMode = File.GetUnixFileMode(tokenFile);
        Client = await _server.CreateAdminClientAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _root.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RunningSqliteServerDefinition : ICollectionFixture<RunningSqliteServer>
{
    public const string Name = "running SQLite server";
}
