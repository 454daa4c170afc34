using System.Net.Sockets;
using Custos.Server.Configuration;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Configuration;

/// <summary>
/// Flags &gt; environment (CUSTOS_SECTION__KEY) &gt; YAML file &gt; defaults; a bad key or value stops <c>custos serve</c>
/// with exit code 2 and a message naming the key, before anything is written.
/// </summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _root = new("custos-config");

    public void Dispose() => _root.Dispose();

    private string DataDir => _root.Combine("data");

    private string WriteYaml(string yaml)
    {
        var path = _root.Combine("custos-" + Guid.NewGuid().ToString("n")[..6] + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private async Task AssertRefusedNamingAsync(string key, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var result = await CustosCli.RunAsync(["serve", "--data-dir", DataDir, .. args], environment);
        Assert.True(result.ExitCode == 2, $"expected exit 2: {result}");
        Assert.Contains(key, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDir), "the data directory was created although the configuration is invalid");
    }

    [Fact]
    public Task Unknown_key_in_the_config_file_exits_2_naming_the_key() =>
        AssertRefusedNamingAsync("server.lisen", ["--config", WriteYaml("server:\n  lisen: 127.0.0.1:3999\n")]);

    [Fact]
    public Task Unknown_section_in_the_config_file_exits_2_naming_the_key() =>
        AssertRefusedNamingAsync("servr.listen", ["--config", WriteYaml("servr:\n  listen: 127.0.0.1:3999\n")]);

    [Fact]
    public Task Unknown_key_in_the_environment_exits_2_naming_the_key() =>
        AssertRefusedNamingAsync("server.lisen", [], new Dictionary<string, string?> { ["CUSTOS_SERVER__LISEN"] = "127.0.0.1:3999" });

    [Fact]
    public Task Bad_listen_flag_exits_2_naming_the_key() =>
        AssertRefusedNamingAsync("server.listen", ["--listen", "nonsense"]);

    [Fact]
    public async Task Missing_config_file_exits_2_naming_the_file()
    {
        var missing = _root.Combine("absent.yaml");
        await AssertRefusedNamingAsync(missing, ["--config", missing]);
    }

    [Fact]
    public Task Config_file_that_is_not_yaml_exits_2() =>
        AssertRefusedNamingAsync("not valid YAML", ["--config", WriteYaml("server: [listen: : :\n  - {\n")]);

    [Theory]
    [InlineData("log.level", "--log-level", "loud")]
    [InlineData("server.listen", "--listen", "127.0.0.1:70000")]
    [InlineData("server.listen", "--listen", "127.0.0.1:0")]
    [InlineData("server.listen", "--listen", "example.com:3080")]
    [InlineData("tls.sans", "--tls-san", "not a host!")]
    [InlineData("tls.cert", "--tls-cert", "/nowhere/cert.pem")]
    public Task Bad_flag_value_exits_2_naming_the_key(string key, string flag, string value) =>
        AssertRefusedNamingAsync(key, [flag, value]);

    [Theory]
    [InlineData("http.max_body_bytes", "CUSTOS_HTTP__MAX_BODY_BYTES", "lots")]
    [InlineData("http.max_body_bytes", "CUSTOS_HTTP__MAX_BODY_BYTES", "10")]
    [InlineData("audit.checkpoint_interval", "CUSTOS_AUDIT__CHECKPOINT_INTERVAL", "soon")]
    [InlineData("audit.checkpoint_events", "CUSTOS_AUDIT__CHECKPOINT_EVENTS", "0")]
    [InlineData("database.retry_max", "CUSTOS_DATABASE__RETRY_MAX", "5 fortnights")]
    [InlineData("bootstrap.token_ttl", "CUSTOS_BOOTSTRAP__TOKEN_TTL", "30d")]
    [InlineData("server.shutdown_timeout", "CUSTOS_SERVER__SHUTDOWN_TIMEOUT", "-1s")]
    [InlineData("policy.poll_interval", "CUSTOS_POLICY__POLL_INTERVAL", "10ms")]
    [InlineData("policy.import_max_bytes", "CUSTOS_POLICY__IMPORT_MAX_BYTES", "10")]
    [InlineData("ca.ssh.algorithm", "CUSTOS_CA__SSH__ALGORITHM", "rsa")]
    [InlineData("ca.ssh.user_cert_ttl", "CUSTOS_CA__SSH__USER_CERT_TTL", "2d")]
    [InlineData("ca.ssh.clock_skew", "CUSTOS_CA__SSH__CLOCK_SKEW", "1h")]
    [InlineData("ca.ssh.issue_rate_per_minute", "CUSTOS_CA__SSH__ISSUE_RATE_PER_MINUTE", "0")]
    [InlineData("ca.ssh.issue_burst", "CUSTOS_CA__SSH__ISSUE_BURST", "plenty")]
    [InlineData("ca.ssh.host_cert_ttl", "CUSTOS_CA__SSH__HOST_CERT_TTL", "10m")]
    [InlineData("ca.ssh.known_hosts_domain", "CUSTOS_CA__SSH__KNOWN_HOSTS_DOMAIN", "*")]
    [InlineData("ca.ssh.known_hosts_domain", "CUSTOS_CA__SSH__KNOWN_HOSTS_DOMAIN", "*.com")]
    [InlineData("ca.ssh.known_hosts_domain", "CUSTOS_CA__SSH__KNOWN_HOSTS_DOMAIN", "a.*.example.com")]
    public Task Bad_environment_value_exits_2_naming_the_key(string key, string variable, string value) =>
        AssertRefusedNamingAsync(key, [], new Dictionary<string, string?> { [variable] = value });

    [Theory]
    [InlineData("audit.max_batch", "audit:\n  max_batch: many\n")]
    [InlineData("audit.queue_capacity", "audit:\n  queue_capacity: 1\n")]
    [InlineData("log.level", "log:\n  level: chatty\n")]
    public Task Bad_config_file_value_exits_2_naming_the_key(string key, string yaml) =>
        AssertRefusedNamingAsync(key, ["--config", WriteYaml(yaml)]);

    [Fact]
    public async Task Configured_body_limit_is_enforced()
    {
        await using var server = await ServerProcess.StartReadyAsync(DataDir, ["--config", WriteYaml("http:\n  max_body_bytes: 4096\n")]);
        using var client = await server.CreateAdminClientAsync();
        var ct = TestContext.Current.CancellationToken;

        using var small = await client.PostAsync("/v1/audit/events/search",
            new StringContent("{\"outcome\": \"success\"" + new string(' ', 3000) + "}", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, small.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audit/events/search")
        {
            Content = new StringContent("{\"outcome\": \"success\"" + new string(' ', 5000) + "}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var large = await client.SendAsync(request, ct);
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("4096", await large.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_lists_every_configuration_key()
    {
        var result = await CustosCli.RunAsync("serve", "--help");
        Assert.Equal(0, result.ExitCode);
        string[] documented =
        [
            "server.data_dir", "server.listen", "server.shutdown_timeout", "database.url", "database.retry_max", "tls.cert", "tls.key",
            "tls.sans", "http.max_body_bytes", "audit.checkpoint_events", "audit.checkpoint_interval", "audit.max_batch",
            "audit.queue_capacity", "bootstrap.token_ttl", "log.level",
        ];
        foreach (var key in documented.Union(ConfigurationKeys.All.Select(k => k.Path)))
            Assert.Contains(key, result.Stdout, StringComparison.Ordinal);
        foreach (var flag in new[] { "--data-dir", "--listen", "--database", "--config", "--tls-cert", "--tls-key", "--tls-san", "--log-level" })
            Assert.Contains(flag, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("CUSTOS_SERVER__LISTEN", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flag_beats_environment_beats_config_file()
    {
        // Three installations at once, each with its own three ports: all layers; environment and file; the file alone.
        var layers = await Task.WhenAll(
            LayerListenedOnAsync("all", useEnvironment: true, useFlag: true),
            LayerListenedOnAsync("env", useEnvironment: true, useFlag: false),
            LayerListenedOnAsync("file", useEnvironment: false, useFlag: false));
        Assert.Equal(["flag", "environment", "file"], layers);
    }

    /// <summary>Starts a server given a different port in each chosen layer and reports the layer whose port it listens on.</summary>
    private async Task<string> LayerListenedOnAsync(string name, bool useEnvironment, bool useFlag)
    {
        var ports = new Dictionary<string, int> { ["file"] = FreePort.Next(), ["environment"] = FreePort.Next(), ["flag"] = FreePort.Next() };
        var dataDir = _root.Combine(name);
        string[] args = ["--config", WriteYaml($"server:\n  listen: 127.0.0.1:{ports["file"]}\n")];
        if (useFlag) args = [.. args, "--listen", $"127.0.0.1:{ports["flag"]}"];
        var environment = useEnvironment ? new Dictionary<string, string?> { ["CUSTOS_SERVER__LISTEN"] = $"127.0.0.1:{ports["environment"]}" } : null;

        await using var process = CustosProcess.Start(["serve", "--data-dir", dataDir, .. args], environment);
        var deadline = DateTime.UtcNow + Timeouts.Ready;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name}: custos exited with {process.ExitCode}: {process.Stderr}");
            var listening = new List<string>();
            foreach (var (layer, port) in ports)
            {
                using var probe = new TcpClient();
                try
                {
                    await probe.ConnectAsync("127.0.0.1", port);
                    listening.Add(layer);
                }
                catch (SocketException)
                {
                }
            }
            if (listening.Count > 0) return string.Join("+", listening);
            await Task.Delay(100);
        }
        throw new TimeoutException($"{name}: custos listened on none of its ports: {process.Stdout}{process.Stderr}");
    }
}
