using System.Text.Json.Nodes;
using Custos.Cli.Client;
using Custos.Cli.Nodes;
using Custos.Testing;

namespace Custos.Cli.Tests.Nodes;

/// <summary><c>node.json</c>: what join records for sync, read back as written, and refused clearly when unusable.</summary>
public sealed class NodeStateTests
{
    private static readonly NodeState State = new("https://custos.example.com:3080", "web-1", "/etc/ssh/ssh_host_ed25519_key.pub",
        "/etc/ssh/ssh_host_ed25519_key-cert.pub", ["deploy", "root"], "systemctl reload ssh", "\"krl-7\"", ["deploy", "root"]);

    [Fact]
    public void The_state_reads_back_as_written_in_snake_case_and_0600()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("node.json");
        State.Save(path);
        var read = NodeState.Load(path);
        Assert.Equal(State with { Logins = null, Principals = [] }, read with { Logins = null, Principals = [] });
        Assert.Equal(State.Logins, read.Logins);
        Assert.Equal(State.Principals, read.Principals);
        Assert.Equal(NodeFiles.SecretMode, File.GetUnixFileMode(path));
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("web-1", (string?)json["node"]);
        Assert.Equal("systemctl reload ssh", (string?)json["reload_command"]);
        Assert.Equal("\"krl-7\"", (string?)json["krl_etag"]);
        Assert.Equal("/etc/ssh/ssh_host_ed25519_key-cert.pub", (string?)json["host_certificate"]);
    }

    [Fact]
    public void Logins_taken_from_passwd_are_recorded_as_null_so_sync_recomputes_them()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("node.json");
        (State with { Logins = null, ReloadCommand = null }).Save(path);
        var read = NodeState.Load(path);
        Assert.Null(read.Logins);
        Assert.Null(read.ReloadCommand);
        Assert.Equal(["deploy", "root"], read.Principals);
    }

    [Fact]
    public void A_missing_state_says_the_node_has_not_joined()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<CliException>(() => NodeState.Load(temp.Combine("node.json")));
        Assert.Equal(ExitCodes.IoError, e.ExitCode);
        Assert.Contains("custos node join", e.Message, StringComparison.Ordinal);
        Assert.Contains(temp.Combine("node.json"), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"server":"https://x","node":"web-1"}""")]
    public void A_malformed_state_is_an_io_error_naming_the_file(string text)
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("node.json");
        File.WriteAllText(path, text);
        var e = Assert.Throws<CliException>(() => NodeState.Load(path));
        Assert.Equal(ExitCodes.IoError, e.ExitCode);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }
}
