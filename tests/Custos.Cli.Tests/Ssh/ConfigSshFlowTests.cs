using Custos.Cli.Client;
using Custos.Cli.Ssh;
using Custos.Cli.Tests.Client;
using Custos.Cli.Tests.Nodes;
using Custos.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Ssh;

/// <summary>
/// <c>custos config ssh</c> against a stand-in API: which nodes it configures from what the user can reach, how it
/// trusts each node's host key, and what it says when the inventory is not readable.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class ConfigSshFlowTests
{
    private const string WhatCan = """
        {"user":"alice","standing_roles":["dev"],"requestable_roles":["dba"],"standing_admin_actions":[],"requestable_admin_actions":[],"resources":[
          {"name":"web-1","kind":"ssh_node","mode":"standing","actions":["ssh.session"],"logins":["root"],"db_users":[],"db_names":[],"roles":["dev"],"conditions":[],
           "address":"10.0.0.5:22","host_key_fingerprint":null,"trust_host_ca":true},
          {"name":"db-1","kind":"ssh_node","mode":"request","actions":["ssh.session"],"logins":["root","postgres"],"db_users":[],"db_names":[],"roles":["dba"],"conditions":[],
           "address":"10.0.0.6:2222","host_key_fingerprint":"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU","trust_host_ca":false},
          {"name":"app-9","kind":"ssh_node","mode":"standing","actions":["ssh.session"],"logins":["root"],"db_users":[],"db_names":[],"roles":["dev"],"conditions":[]},
          {"name":"pg","kind":"database","mode":"standing","actions":["db.connect"],"logins":[],"db_users":["app"],"db_names":["*"],"roles":["dev"],"conditions":[]},
          {"name":"bad*name","kind":"ssh_node","mode":"standing","actions":["ssh.session"],"logins":["root"],"db_users":[],"db_names":[],"roles":["dev"],"conditions":[]}]}
        """;

    // No /v1/resources: what-can carries the addresses and host key trust, so no inventory access is needed.
    private static Task<NodeFake> StartAsync() => NodeFake.StartAsync(app =>
    {
        app.MapGet("/v1/access/what-can", () => Results.Text(WhatCan, "application/json"));
        app.MapGet("/v1/ca/ssh/host", () => Results.Text("""
            {"type":"host","keys":[{"id":"k2","public_key":"ssh-ed25519 AAAAnew custos-host-ca","fingerprint":"SHA256:n","state":"next","created_at":"x"},
                                   {"id":"k1","public_key":"ssh-ed25519 AAAAold custos-host-ca","fingerprint":"SHA256:o","state":"active","created_at":"x"}],
             "lines":"ssh-ed25519 AAAAold custos-host-ca\nssh-ed25519 AAAAnew custos-host-ca\n"}
            """, "application/json"));
    });

    [Fact]
    public async Task The_snippet_configures_each_reachable_ssh_node_and_known_hosts_trusts_the_host_ca_for_the_ca_nodes_only()
    {
        await using var fake = await StartAsync();
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));

        var result = await NodeFake.RunAsync(home, "config", "ssh");
        Assert.True(result.Exit == 0, result.Error);
        Assert.Contains("Host web-1\n    HostName 10.0.0.5\n    Port 22\n    User root\n    HostKeyAlias web-1\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("Host db-1\n    HostName 10.0.0.6\n    Port 2222\n    HostKeyAlias db-1\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("--node db-1 --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU %I %H %t %K", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Host pg", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("bad*name", result.Out, StringComparison.Ordinal);
        Assert.Contains("skipping bad*name", result.Error, StringComparison.Ordinal);
        var custos = string.Join(' ', LocalPrograms.Self());
        Assert.Contains($"Match originalhost app-9,db-1,web-1 exec \"/usr/bin/env CUSTOS_HOME={home} {custos} ssh --print-only %r@%n\"", result.Out, StringComparison.Ordinal);
        Assert.Contains($"    IdentityFile {home}/keys/default/id_ed25519\n", result.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home, "keys", "default", "id_ed25519")));

        var knownHosts = Path.Combine(home, "known_hosts");
        Assert.Equal("@cert-authority app-9,web-1 ssh-ed25519 AAAAnew custos-host-ca\n@cert-authority app-9,web-1 ssh-ed25519 AAAAold custos-host-ca\n", File.ReadAllText(knownHosts));
        Assert.Equal(SecureFiles.PublicFileMode, File.GetUnixFileMode(knownHosts));
        Assert.Contains($"    UserKnownHostsFile {knownHosts}\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_without_a_known_address_gets_no_HostName_and_is_trusted_through_the_host_ca_only()
    {
        await using var fake = await StartAsync();
        using var temp = new TempDirectory();
        var home = fake.LoggedInHome(temp.Combine("home"));

        var result = await NodeFake.RunAsync(home, "config", "ssh");
        Assert.True(result.Exit == 0, result.Error);
        Assert.Contains("Host app-9\n    User root\n    HostKeyAlias app-9\n", result.Out, StringComparison.Ordinal);
        Assert.StartsWith("@cert-authority app-9,web-1 ", File.ReadAllText(Path.Combine(home, "known_hosts")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_session_it_says_to_log_in()
    {
        await using var fake = await StartAsync();
        using var temp = new TempDirectory();
        var result = await NodeFake.RunAsync(temp.Combine("home"), "config", "ssh");
        Assert.Equal((ExitCodes.Failure, "", "custos config ssh: not logged in; run custos login\n"), result);
    }
}
