using System.Text.Json.Nodes;
using Custos.Cli.Nodes;
using Custos.Cli.Tests.Client;
using Custos.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Nodes;

/// <summary>
/// The administrator's commands of node enrolment and CA rotation against a stand-in API: join tokens go only into new
/// 0600 files and are never printed, sshd-config needs an ssh_node, and the CA commands print what the server says.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class NodeAdminCommandTests
{
    private const string Resource = """
        {"name":"NAME","kind":"KIND","address":"10.0.0.5:22","databases":[],"host_key_fingerprint":null,"trust_host_ca":false,"url":null,
         "labels":{"env":"prod"},"revision":1,"created_at":"2030-01-01T00:00:00Z","updated_at":"2030-01-01T00:00:00Z"}
        """;

    private const string Status = """
        {"authorities":[
          {"type":"host","phase":"standby","mode":null,"started_at":null,"grace":null,"grace_ends_at":null,"next_phase_at":null,
           "keys":[{"id":"h1","public_key":"ssh-ed25519 AAAAhost","fingerprint":"SHA256:host1","state":"active","created_at":"2030-01-01T00:00:00Z"}]},
          {"type":"user","phase":"update_clients","mode":"auto","started_at":"2030-01-02T00:00:00Z","grace":"6h","grace_ends_at":"2030-01-02T06:00:00Z",
           "next_phase_at":"2030-01-02T04:00:00Z",
           "keys":[{"id":"u2","public_key":"ssh-ed25519 AAAAnew","fingerprint":"SHA256:new","state":"active","created_at":"2030-01-02T00:00:00Z"},
                   {"id":"u1","public_key":"ssh-ed25519 AAAAold","fingerprint":"SHA256:old","state":"previous","created_at":"2030-01-01T00:00:00Z"}]}]}
        """;

    private static Task<NodeFake> StartAsync(List<(string Path, JsonObject? Body)> calls) => NodeFake.StartAsync(app =>
    {
        async Task<JsonObject?> Record(HttpContext context)
        {
            var body = context.Request.ContentLength > 0 ? await context.Request.ReadFromJsonAsync<JsonObject>() : null;
            lock (calls) calls.Add((context.Request.Method + " " + context.Request.Path + context.Request.QueryString, body));
            return body;
        }
        app.MapPost("/v1/resources", async (HttpContext context) =>
        {
            var body = (await Record(context))!;
            await Results.Text(Resource.Replace("NAME", (string)body["name"]!, StringComparison.Ordinal).Replace("KIND", (string)body["kind"]!, StringComparison.Ordinal),
                "application/json", statusCode: 201).ExecuteAsync(context);
        });
        app.MapGet("/v1/resources/{name}", async (HttpContext context, string name) =>
        {
            await Record(context);
            if (name == "missing") await FakeApi.Problem(context, 404, "not-found", "no resource missing");
            else await Results.Text(Resource.Replace("NAME", name, StringComparison.Ordinal).Replace("KIND", name.StartsWith("db", StringComparison.Ordinal) ? "database" : "ssh_node", StringComparison.Ordinal),
                "application/json").ExecuteAsync(context);
        });
        app.MapPost("/v1/nodes/{name}/join-tokens", async (HttpContext context, string name) =>
        {
            await Record(context);
            await Results.Text($$"""{"node":"{{name}}","token":"{{NodeFake.JoinToken}}","expires_at":"2030-01-01T01:00:00Z"}""", "application/json").ExecuteAsync(context);
        });
        app.MapGet("/v1/ca/ssh/host/known-hosts", async (HttpContext context) =>
        {
            await Record(context);
            await Results.Text("""{"patterns":["web-1","[10.0.0.5]:2222"],"lines":"@cert-authority web-1,[10.0.0.5]:2222 ssh-ed25519 AAAAhost"}""", "application/json").ExecuteAsync(context);
        });
        app.MapGet("/v1/ca/ssh/status", async (HttpContext context) =>
        {
            await Record(context);
            await Results.Text(Status, "application/json").ExecuteAsync(context);
        });
        app.MapPost("/v1/ca/ssh/{type}/rotate", async (HttpContext context) =>
        {
            await Record(context);
            await Results.Text(Status, "application/json").ExecuteAsync(context);
        });
    });

    [Fact]
    public async Task Add_with_join_token_out_writes_the_token_to_a_new_0600_file_and_prints_only_where_it_is_and_what_to_run()
    {
        var calls = new List<(string Path, JsonObject? Body)>();
        await using var fake = await StartAsync(calls);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));
        var tokenFile = temp.Combine("web-1.token");

        var result = await NodeFake.RunAsync(home, "admin", "resources", "add", "web-1", "--kind", "ssh_node", "--address", "10.0.0.5:22",
            "--label", "env=prod", "--join-token-out", tokenFile, "--join-token-ttl", "30m");
        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal(NodeFake.JoinToken + "\n", File.ReadAllText(tokenFile));
        Assert.Equal(NodeFiles.SecretMode, File.GetUnixFileMode(tokenFile));
        Assert.DoesNotContain(NodeFake.JoinToken, result.Out + result.Error, StringComparison.Ordinal);
        Assert.Contains($"is in {tokenFile} (0600)", result.Out, StringComparison.Ordinal);
        Assert.Contains($"custos node join --server {Custos.Cli.Client.ConnectionSettings.Display(fake.BaseAddress)} --ca-file SERVER-CA.crt --token-file web-1.token",
            result.Out, StringComparison.Ordinal);
        Assert.Equal(["POST /v1/resources", "POST /v1/nodes/web-1/join-tokens"], calls.Select(c => c.Path));
        Assert.Equal("30m", (string?)calls[1].Body!["ttl"]);
    }

    [Fact]
    public async Task Add_refuses_an_existing_token_file_before_adding_the_resource()
    {
        var calls = new List<(string Path, JsonObject? Body)>();
        await using var fake = await StartAsync(calls);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));
        var tokenFile = temp.Combine("web-1.token");
        File.WriteAllText(tokenFile, "keep me\n");

        var result = await NodeFake.RunAsync(home, "admin", "resources", "add", "web-1", "--kind", "ssh_node", "--address", "10.0.0.5:22", "--join-token-out", tokenFile);
        Assert.Equal((ExitCodes.Usage, ""), (result.Exit, result.Out));
        Assert.Equal($"custos admin resources add: --join-token-out: {tokenFile} exists already; give a new file name (the join token is written only to a new file)\n", result.Error);
        Assert.Empty(calls);
        Assert.Equal("keep me\n", File.ReadAllText(tokenFile));
    }

    [Theory]
    [InlineData("--kind", "database", "--join-token-out does not apply to --kind database")]
    [InlineData("--join-token-ttl", "1h", "--join-token-ttl needs --join-token-out")]
    public void Join_token_flags_only_fit_an_ssh_node_with_a_token_file(string flag, string value, string error)
    {
        var args = flag == "--kind"
            ? new[] { "admin", "resources", "add", "db-1", "--kind", value, "--address", "10.0.0.9:5432", "--join-token-out", "db.token" }
            : ["admin", "resources", "add", "web-1", "--kind", "ssh_node", "--address", "10.0.0.5:22", flag, value];
        Assert.Contains(error, CustosCommandLine.CreateRoot().Parse(args).Errors.Select(e => e.Message));
    }

    [Fact]
    public async Task Join_token_issues_a_fresh_token_for_an_enrolled_node_into_a_new_file_only()
    {
        var calls = new List<(string Path, JsonObject? Body)>();
        await using var fake = await StartAsync(calls);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));
        var tokenFile = temp.Combine("again.token");

        var result = await NodeFake.RunAsync(home, "admin", "resources", "join-token", "web-1", "--out", tokenFile);
        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal(NodeFake.JoinToken + "\n", File.ReadAllText(tokenFile));
        Assert.Null(calls.Single().Body?["ttl"]);

        var again = await NodeFake.RunAsync(home, "admin", "resources", "join-token", "web-1", "--out", tokenFile);
        Assert.Equal(ExitCodes.Usage, again.Exit);
        Assert.Contains("exists already", again.Error, StringComparison.Ordinal);
        Assert.Single(calls);
    }

    [Fact]
    public async Task Sshd_config_prints_the_lines_for_a_registered_ssh_node_and_refuses_anything_else()
    {
        await using var fake = await StartAsync([]);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));

        var result = await NodeFake.RunAsync(home, "admin", "resources", "sshd-config", "web-1");
        Assert.Equal((0, SshdConfigText.Build("web-1", NodeLayout.DefaultDirectory, NodeLayout.DefaultHostKey), ""), result);
        var custom = await NodeFake.RunAsync(home, "admin", "resources", "sshd-config", "web-1", "--dir", "/srv/custos", "--host-key", "/etc/ssh/ssh_host_rsa_key.pub");
        Assert.Equal(SshdConfigText.Build("web-1", "/srv/custos", "/etc/ssh/ssh_host_rsa_key.pub"), custom.Out);

        var database = await NodeFake.RunAsync(home, "admin", "resources", "sshd-config", "db-1");
        Assert.Equal((ExitCodes.Failure, "", "custos admin resources sshd-config: db-1 is a database, not an ssh_node\n"), database);
        var missing = await NodeFake.RunAsync(home, "admin", "resources", "sshd-config", "missing");
        Assert.Equal(ExitCodes.Failure, missing.Exit);
        Assert.Contains("no resource missing", missing.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--dir", "custos", "--dir: \"custos\" is not an absolute path (as on the node)")]
    [InlineData("--host-key", "/etc/ssh/ssh_host_ed25519_key", "--host-key: \"/etc/ssh/ssh_host_ed25519_key\" is not a public key file (.pub)")]
    public void Sshd_config_paths_are_the_nodes_so_they_must_be_absolute(string flag, string value, string error) =>
        Assert.Contains(error, CustosCommandLine.CreateRoot().Parse(["admin", "resources", "sshd-config", "web-1", flag, value]).Errors.Select(e => e.Message));

    [Fact]
    public void Known_hosts_with_the_user_ca_is_a_usage_error()
    {
        var parse = CustosCommandLine.CreateRoot().Parse(["admin", "ca", "export", "--type", "user", "--known-hosts"]);
        Assert.Contains("--known-hosts applies to --type host only (known_hosts trusts host certificates)", parse.Errors.Select(e => e.Message));
        Assert.Empty(CustosCommandLine.CreateRoot().Parse(["admin", "ca", "export", "--type", "host", "--known-hosts"]).Errors);
    }

    [Fact]
    public async Task Export_known_hosts_prints_the_servers_lines()
    {
        await using var fake = await StartAsync([]);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));
        var result = await NodeFake.RunAsync(home, "admin", "ca", "export", "--type", "host", "--known-hosts");
        Assert.Equal((0, "@cert-authority web-1,[10.0.0.5]:2222 ssh-ed25519 AAAAhost\n", ""), result);
    }

    [Fact]
    public async Task Status_prints_each_cas_phase_and_its_keys()
    {
        await using var fake = await StartAsync([]);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));
        var result = await NodeFake.RunAsync(home, "admin", "ca", "status");
        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal("""
            TYPE  PHASE           MODE  STARTED               GRACE  GRACE ENDS            NEXT PHASE AT
            user  update_clients  auto  2030-01-02T00:00:00Z  6h     2030-01-02T06:00:00Z  2030-01-02T04:00:00Z
            host  standby         -     -                     -      -                     -

            TYPE  STATE     FINGERPRINT   CREATED
            user  active    SHA256:new    2030-01-02T00:00:00Z
            user  previous  SHA256:old    2030-01-01T00:00:00Z
            host  active    SHA256:host1  2030-01-01T00:00:00Z

            """, result.Out);
        var json = await NodeFake.RunAsync(home, "admin", "ca", "status", "-o", "json");
        Assert.Equal("update_clients", (string?)JsonNode.Parse(json.Out)!["authorities"]![1]!["phase"]);
    }

    [Fact]
    public async Task Rotate_sends_the_phase_grace_and_force_asked_for()
    {
        var calls = new List<(string Path, JsonObject? Body)>();
        await using var fake = await StartAsync(calls);
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));

        var manual = await NodeFake.RunAsync(home, "admin", "ca", "rotate", "--type", "user", "--phase", "standby", "--force");
        Assert.True(manual.Exit == 0, manual.Error);
        var automatic = await NodeFake.RunAsync(home, "admin", "ca", "rotate", "--type", "host", "--grace", "6h");
        Assert.True(automatic.Exit == 0, automatic.Error);
        Assert.Equal(["POST /v1/ca/ssh/user/rotate", "POST /v1/ca/ssh/host/rotate"], calls.Select(c => c.Path));
        Assert.Equal(("standby", true), ((string?)calls[0].Body!["phase"], (bool?)calls[0].Body!["force"]));
        Assert.Equal(("6h", null), ((string?)calls[1].Body!["grace"], calls[1].Body!["phase"]));
        Assert.Contains("update_clients", automatic.Out, StringComparison.Ordinal);
        Assert.Contains(CustosCommandLine.CreateRoot().Parse(["admin", "ca", "rotate", "--type", "user", "--phase", "later"]).Errors,
            e => e.Message.Contains("later", StringComparison.Ordinal));
    }
}
