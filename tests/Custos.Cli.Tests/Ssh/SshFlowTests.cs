using System.CommandLine;
using System.Text.Json.Nodes;
using Custos.Cli.Client;
using Custos.Cli.Ssh;
using Custos.Cli.Tests.Client;
using Custos.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Ssh;

/// <summary>
/// <c>custos login</c>, <c>custos ssh --print-only</c> and <c>custos admin ca export</c> as the executable runs them,
/// against a stand-in API on real TLS: what is sent (the public key only), what is written, and how refusals read.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class SshFlowTests
{
    private const string Token = "cst_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    private const string Certificate = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t";

    private sealed record Answer(int Status, string Body);

    private static Task<FakeApi> StartAsync(List<JsonObject> requests, Func<JsonObject, Answer> certificates) => FakeApi.StartAsync(app =>
    {
        const string user = """{"id":"u1","name":"alice","kind":"user","status":"active","roles":["dev"],"traits":{},"created_at":"2030-01-01T00:00:00Z","revision":1,"mfa_enrolled":true,"webauthn_credentials":0}""";
        const string session = """{"id":"s1","user_id":"u1","user":"alice","kind":"user","created_at":"2030-01-01T00:00:00Z","expires_at":"2030-01-01T08:00:00Z","current":true}""";
        app.MapPost("/v1/auth/login", () => Results.Text($$"""{"token":"{{Token}}","session":{{session}},"user":{{user}}}""", "application/json"));
        app.MapPost("/v1/certs/ssh", async (HttpContext context) =>
        {
            if (context.Request.Headers.Authorization != "Bearer " + Token)
            {
                await FakeApi.Problem(context, 401, "unauthorized", "no session");
                return;
            }
            var body = (await context.Request.ReadFromJsonAsync<JsonObject>())!;
            requests.Add(body);
            var answer = certificates(body);
            if (answer.Status == 200) await Results.Text(answer.Body, "application/json").ExecuteAsync(context);
            else await FakeApi.Problem(context, answer.Status, "access-denied", answer.Body);
        });
        app.MapGet("/v1/ca/ssh/{type}", (string type) => Results.Text($$"""
            {"type":"{{type}}","keys":[{"id":"k1","public_key":"ssh-ed25519 AAAAC3 custos-{{type}}-ca","fingerprint":"SHA256:x","state":"active","created_at":"2030-01-01T00:00:00Z"}],
             "lines":"ssh-ed25519 AAAAC3 custos-{{type}}-ca\n"}
            """, "application/json"));
    });

    private static Answer Issued(JsonObject request, string knownHosts = "[]", string fingerprint = "\"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"") => new(200, $$"""
        {"certificate":"{{Certificate}}","serial":"42","key_id":"alice/s1","principals":["{{request["login"]}}@{{request["node"]}}"],
         "valid_after":"2030-01-01T00:00:00Z","valid_before":"2030-01-01T00:06:00Z","extensions":["permit-pty"],"critical_options":{},
         "node":"{{request["node"]}}","host":"10.0.0.5","port":2222,"known_hosts":{{knownHosts}},"host_key_fingerprint":{{fingerprint}},
         "explanation":{"reason":"allowed","message":"allowed by dev/ssh","rules":[{"role":"dev","rule":"ssh"}],"condition":null} }
        """);

    private static async Task<(int Exit, string Out, string Error)> RunAsync(string home, params string[] args)
    {
        var (savedIn, savedHome, savedPath) = (Console.In, Environment.GetEnvironmentVariable(CustosHome.EnvironmentVariable), Environment.GetEnvironmentVariable("PATH"));
        var (output, error) = (new StringWriter(), new StringWriter());
        try
        {
            Console.SetIn(new StringReader("password\n"));
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, home);
            var exit = await CustosCommandLine.CreateRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetIn(savedIn);
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, savedHome);
            Environment.SetEnvironmentVariable("PATH", savedPath);
        }
    }

    private static async Task<string> LoggedInAsync(FakeApi api, TempDirectory temp)
    {
        var home = temp.Combine("home");
        var login = await RunAsync(home, "login", "--server", api.BaseAddress.ToString(), "--fingerprint", CertificateFingerprint.Of(api.Certificate),
            "--user", "alice", "--password-stdin", "--otp", "123456");
        Assert.True(login.Exit == 0, login.Error);
        return home;
    }

    [Fact]
    public async Task Login_generates_the_key_pair_once_and_later_logins_keep_it()
    {
        await using var api = await StartAsync([], r => Issued(r));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);
        var keys = SshKeyDirectory.For(new CustosHome(home), (Profile?)null);
        var publicKey = File.ReadAllText(keys.PublicKeyFile);
        var privateKey = File.ReadAllText(keys.PrivateKeyFile);

        var again = await RunAsync(home, "login", "--user", "alice", "--password-stdin", "--otp", "123456");
        Assert.True(again.Exit == 0, again.Error);
        Assert.DoesNotContain("Generated your SSH key pair", again.Out, StringComparison.Ordinal);
        Assert.Equal(publicKey, File.ReadAllText(keys.PublicKeyFile));
        Assert.Equal(privateKey, File.ReadAllText(keys.PrivateKeyFile));
        Assert.EndsWith(" alice@custos-default\n", publicKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ssh_sends_only_the_public_key_with_node_login_and_command_and_writes_certificate_and_known_hosts()
    {
        var requests = new List<JsonObject>();
        await using var api = await StartAsync(requests, r => Issued(r, knownHosts: """["@cert-authority node-a ssh-ed25519 AAAAC3 custos-host-ca"]""", fingerprint: "null"));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);
        var keys = SshKeyDirectory.For(new CustosHome(home), (Profile?)null);

        var result = await RunAsync(home, "ssh", "root@node-a", "--ttl", "2m", "--print-only", "--", "id", "-un");
        Assert.True(result.Exit == 0, result.Error);

        var request = Assert.Single(requests);
        // The key without its comment: nothing about this machine's naming is sent either.
        Assert.Equal(string.Join(' ', File.ReadAllText(keys.PublicKeyFile).Split(' ')[..2]), (string?)request["public_key"]);
        Assert.Equal(("node-a", "root", "id -un", "2m"), ((string?)request["node"], (string?)request["login"], (string?)request["command"], (string?)request["ttl"]));
        Assert.DoesNotContain("PRIVATE", request.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(Certificate + "\n", File.ReadAllText(keys.CertificateFile));
        Assert.Equal("@cert-authority node-a ssh-ed25519 AAAAC3 custos-host-ca\n", File.ReadAllText(keys.KnownHostsFile));
        Assert.EndsWith(" -p 2222 root@10.0.0.5 'id -un'\n", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("KnownHostsCommand", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_login_the_Custos_user_name_is_the_login_and_no_command_asks_for_a_session()
    {
        var requests = new List<JsonObject>();
        await using var api = await StartAsync(requests, r => Issued(r));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);

        var result = await RunAsync(home, "ssh", "node-a", "--print-only");
        Assert.True(result.Exit == 0, result.Error);
        var request = Assert.Single(requests);
        Assert.Equal("alice", (string?)request["login"]);
        Assert.Null(request["command"]);
        Assert.Contains("KnownHostsCommand=", result.Out, StringComparison.Ordinal);
        Assert.Contains("ssh-host-key-check --node node-a --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU %I %H %t %K", result.Out, StringComparison.Ordinal);
        Assert.EndsWith(" root@10.0.0.5\n".Replace("root", "alice", StringComparison.Ordinal), result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_denied_certificate_prints_the_servers_explanation_and_exits_1()
    {
        await using var api = await StartAsync([], _ => new Answer(403, "ssh.session on node-a as root is not allowed: no role grants it"));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);
        var keys = SshKeyDirectory.For(new CustosHome(home), (Profile?)null);

        var result = await RunAsync(home, "ssh", "root@node-a", "--print-only");
        Assert.Equal((ExitCodes.Failure, ""), (result.Exit, result.Out));
        Assert.Equal("custos ssh: ssh.session on node-a as root is not allowed: no role grants it\n", result.Error);
        Assert.False(File.Exists(keys.CertificateFile));
    }

    [Fact]
    public async Task A_node_with_no_way_to_check_its_host_key_is_refused_before_ssh_runs()
    {
        await using var api = await StartAsync([], r => Issued(r, knownHosts: "[]", fingerprint: "null"));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);
        var result = await RunAsync(home, "ssh", "root@node-a", "--print-only");
        Assert.Equal((ExitCodes.Failure, ""), (result.Exit, result.Out));
        Assert.Contains("refusing to connect to an unverified host", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_ssh_on_PATH_the_error_says_what_to_install_and_no_certificate_is_asked_for()
    {
        var requests = new List<JsonObject>();
        await using var api = await StartAsync(requests, r => Issued(r));
        using var temp = new TempDirectory();
        var home = await LoggedInAsync(api, temp);
        Environment.SetEnvironmentVariable("PATH", temp.Combine("empty"));
        var result = await RunAsync(home, "ssh", "root@node-a");
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains("openssh-client", result.Error, StringComparison.Ordinal);
        Assert.Empty(requests);
    }

    [Fact]
    public async Task Ca_export_prints_the_lines_without_a_session()
    {
        await using var api = await StartAsync([], r => Issued(r));
        using var temp = new TempDirectory();
        var result = await RunAsync(temp.Combine("home"), "admin", "ca", "export", "--type", "user",
            "--server", api.BaseAddress.ToString(), "--fingerprint", CertificateFingerprint.Of(api.Certificate));
        Assert.Equal((0, "ssh-ed25519 AAAAC3 custos-user-ca\n", ""), result);
        var json = await RunAsync(temp.Combine("home"), "admin", "ca", "export", "--type", "host", "-o", "json",
            "--server", api.BaseAddress.ToString(), "--fingerprint", CertificateFingerprint.Of(api.Certificate));
        Assert.Equal("active", (string?)JsonNode.Parse(json.Out)!["keys"]![0]!["state"]);
    }
}
