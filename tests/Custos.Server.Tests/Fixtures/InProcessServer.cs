using System.Globalization;
using Custos.Server.Configuration;
using Custos.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// A real Custos server (Kestrel, HTTPS, SQLite file) in the test process, with a <see cref="FakeTimeProvider"/> so
/// tests control TOTP steps, session expiry and lockout durations. Clients speak real HTTP to it.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly TempDirectory _root;

    private InProcessServer(TempDirectory root, WebApplication app, FakeTimeProvider time, int port)
    {
        _root = root;
        App = app;
        Time = time;
        Port = port;
    }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public int Port { get; }

    public string DataDir => _root.Combine("data");

    public string BaseUrl => $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string CertificateFile => Path.Combine(DataDir, "tls", "server.crt");

    public static async Task<InProcessServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var root = new TempDirectory("custos-identity");
        var port = FreePort.Next();
        var flags = new Dictionary<string, string?>
        {
            ["server.data_dir"] = root.Combine("data"),
            ["server.listen"] = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["log.level"] = "warning",
            // Polling is driven by the fake clock; keep it from spinning.
            ["auth.revocation_poll_interval"] = "1s",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) flags[key] = value;
        var options = ConfigurationLoader.Load(null, flags, new Dictionary<string, string>());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = CustosServer.Build(options, time);
        await app.StartAsync();
        var server = new InProcessServer(root, app, time, port);
        await server.WaitReadyAsync();
        return server;
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + Timeouts.Ready;
        while (DateTime.UtcNow < deadline)
        {
            using var client = CreateClient();
            using var response = await client.GetAsync("/readyz");
            if (response.IsSuccessStatusCode && File.Exists(Path.Combine(DataDir, "bootstrap.token"))) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the in-process server did not become ready");
    }

    public HttpClient CreateClient() => CustosProcess.PinnedClient(CertificateFile, BaseUrl);

    public IdentityApi Api(string? token = null) => new(CreateClient(), token);

    public string BootstrapToken => File.ReadAllText(Path.Combine(DataDir, "bootstrap.token")).Trim();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _root.Dispose();
    }
}
