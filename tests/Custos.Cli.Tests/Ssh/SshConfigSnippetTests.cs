using Custos.Cli.Ssh;

namespace Custos.Cli.Tests.Ssh;

/// <summary>The ssh_config text of <c>custos config ssh</c> and the known_hosts it points at.</summary>
public sealed class SshConfigSnippetTests
{
    private static SshConfigSnippet.Input Input(params SshConfigSnippet.Node[] nodes) => new("alice", "https://custos.example.com:3080", nodes,
        "/home/alice/.custos/keys/default/id_ed25519", "/home/alice/.custos/keys/default/id_ed25519-cert.pub", "/home/alice/.custos/known_hosts",
        "/home/alice/.custos", ["/usr/local/bin/custos"]);

    private static readonly SshConfigSnippet.Node CaNode = new("web-1", "10.0.0.5", 22, null, true, "root", false);
    private static readonly SshConfigSnippet.Node PinnedNode = new("db-1", "10.0.0.6", 2222, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", false, null, true);

    [Fact]
    public void A_node_trusted_through_the_host_ca_gets_its_address_the_profiles_key_and_strict_custos_known_hosts()
    {
        var text = SshConfigSnippet.Build(Input(CaNode));
        Assert.Contains("""

            Host web-1
                HostName 10.0.0.5
                Port 22
                User root
                HostKeyAlias web-1
                IdentityFile /home/alice/.custos/keys/default/id_ed25519
                CertificateFile /home/alice/.custos/keys/default/id_ed25519-cert.pub
                IdentitiesOnly yes
                UserKnownHostsFile /home/alice/.custos/known_hosts
                GlobalKnownHostsFile /dev/null
                StrictHostKeyChecking yes
                UpdateHostKeys no
                CheckHostIP no

            """, text, StringComparison.Ordinal);
        Assert.DoesNotContain("KnownHostsCommand", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_registered_by_fingerprint_is_checked_by_the_known_hosts_command_and_a_request_only_node_says_so()
    {
        var text = SshConfigSnippet.Build(Input(PinnedNode));
        Assert.Contains("# Needs an approved request first", text, StringComparison.Ordinal);
        Assert.Contains("    Port 2222\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("    User ", text, StringComparison.Ordinal);
        Assert.Contains("    KnownHostsCommand /usr/local/bin/custos ssh-host-key-check --node db-1 --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU %I %H %t %K\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public void One_match_block_gets_a_fresh_certificate_for_the_login_and_node_before_each_connection_and_ends_the_snippet()
    {
        var text = SshConfigSnippet.Build(Input(CaNode, PinnedNode));
        Assert.EndsWith("""

            Match originalhost web-1,db-1 exec "/usr/bin/env CUSTOS_HOME=/home/alice/.custos /usr/local/bin/custos ssh --print-only %r@%n"
            Match all

            """, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Paths_with_spaces_quotes_or_percent_signs_survive_the_shell_and_ssh_config()
    {
        var input = Input(CaNode) with { CustosHome = "/home/al ice/100%", Custos = ["/usr/bin/dotnet", "/opt/it's/custos.dll"] };
        Assert.Equal("\"/usr/bin/env 'CUSTOS_HOME=/home/al ice/100%%' /usr/bin/dotnet '/opt/it'\\\\''s/custos.dll' ssh --print-only %r@%n\"",
            SshConfigSnippet.RefreshCommand(input));
        var text = SshConfigSnippet.Build(input with { PrivateKeyFile = "/home/al ice/100%/id" });
        Assert.Contains("    IdentityFile \"/home/al ice/100%%/id\"\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_inventory_a_node_has_no_address_and_the_snippet_says_why()
    {
        var text = SshConfigSnippet.Build(Input(CaNode with { Host = null }));
        Assert.Contains("# The address is unknown to you (no resources.read)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("HostName", text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_reachable_node_gives_a_snippet_that_configures_nothing()
    {
        var lines = SshConfigSnippet.Build(Input()).Split('\n');
        Assert.All(lines, line => Assert.True(line.Length == 0 || line.StartsWith('#'), line));
    }

    [Fact]
    public void Known_hosts_trusts_each_host_ca_key_for_exactly_the_nodes_named_never_a_wildcard()
    {
        Assert.Equal("@cert-authority web-1,db-1 ssh-ed25519 AAAAnew custos-host-ca\n@cert-authority web-1,db-1 ssh-ed25519 AAAAold custos-host-ca\n",
            SshConfigSnippet.KnownHosts(["web-1", "db-1"], ["ssh-ed25519 AAAAnew custos-host-ca\n", "ssh-ed25519 AAAAold custos-host-ca"]));
        Assert.Equal("", SshConfigSnippet.KnownHosts([], ["ssh-ed25519 AAAAnew custos-host-ca"]));
    }

    [Theory]
    [InlineData("web-1", true)]
    [InlineData("db.example.com", true)]
    [InlineData("web*", false)]
    [InlineData("!web", false)]
    [InlineData("a,b", false)]
    [InlineData("a b", false)]
    [InlineData("-oProxyCommand", false)]
    public void Only_names_that_are_plain_host_patterns_are_configured(string name, bool usable) =>
        Assert.Equal(usable, SshConfigSnippet.IsUsableName(name));

    [Theory]
    [InlineData("10.0.0.5:22", "10.0.0.5", 22)]
    [InlineData("web-1.example.com:2222", "web-1.example.com", 2222)]
    [InlineData("[fd00::5]:2200", "fd00::5", 2200)]
    [InlineData("web-1", "web-1", 22)]
    public void Inventory_addresses_split_into_host_and_port(string address, string host, int port) =>
        Assert.Equal((host, port), ConfigCommands.SplitAddress(address));
}
