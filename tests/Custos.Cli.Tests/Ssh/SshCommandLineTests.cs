using System.CommandLine;
using Custos.Cli.Ssh;

namespace Custos.Cli.Tests.Ssh;

/// <summary>The command lines of <c>custos ssh</c> and <c>custos admin ca export</c>: <c>[LOGIN@]NODE</c> and <c>-- COMMAND</c>.</summary>
public sealed class SshCommandLineTests
{
    private static ParseResult Parse(params string[] args) => CustosCommandLine.CreateRoot().Parse(args);

    private static (string Target, string[] Command) TargetAndCommand(ParseResult parse)
    {
        Assert.Empty(parse.Errors.Select(e => e.Message));
        var ssh = parse.CommandResult.Command;
        Assert.Equal("ssh", ssh.Name);
        var target = parse.GetValue<string>(ssh.Arguments[0].Name)!;
        var command = parse.GetValue<string[]>(ssh.Arguments[1].Name) ?? [];
        return (target, command);
    }

    [Fact]
    public void Everything_after_double_dash_is_the_remote_command_even_what_looks_like_an_option()
    {
        var (target, command) = TargetAndCommand(Parse("ssh", "root@node-a", "--", "id", "-un"));
        Assert.Equal("root@node-a", target);
        Assert.Equal(["id", "-un"], command);
    }

    [Fact]
    public void Options_before_double_dash_are_custos_options()
    {
        var parse = Parse("ssh", "--ttl", "2m", "root@node-a", "--print-only", "--", "uptime", "--pretty");
        var (_, command) = TargetAndCommand(parse);
        Assert.Equal(["uptime", "--pretty"], command);
        Assert.Equal("2m", parse.GetValue<string?>("--ttl"));
        Assert.True(parse.GetValue<bool>("--print-only"));
    }

    [Fact]
    public void Plain_words_after_the_node_are_the_command_too_as_with_ssh()
    {
        var (_, command) = TargetAndCommand(Parse("ssh", "root@node-a", "uptime"));
        Assert.Equal(["uptime"], command);
    }

    [Fact]
    public void Without_a_command_the_session_is_a_shell()
    {
        var (target, command) = TargetAndCommand(Parse("ssh", "node-a"));
        Assert.Equal("node-a", target);
        Assert.Empty(command);
    }

    [Theory]
    [InlineData("root@node-a", "root", "node-a")]
    [InlineData("node-a", null, "node-a")]
    [InlineData("deploy@db-1.example.com", "deploy", "db-1.example.com")]
    [InlineData("svc@corp@node-a", "svc@corp", "node-a")]
    public void Login_is_everything_before_the_last_at_sign(string text, string? login, string node)
    {
        Assert.True(SshTarget.TryParse(text, out var target, out var error), error);
        Assert.Equal(new SshTarget(login, node), target);
    }

    [Theory]
    [InlineData("root@", "names no node")]
    [InlineData("x@@", "names no node")]
    [InlineData("-oProxyCommand=x", "is not [LOGIN@]NODE")]
    [InlineData("root@-p", "is not [LOGIN@]NODE")]
    [InlineData("root@node a", "is not [LOGIN@]NODE")]
    [InlineData("root@../node", "is not [LOGIN@]NODE")]
    [InlineData("ro\not@node", "is not [LOGIN@]NODE")]
    public void Targets_that_are_not_login_at_node_are_refused(string text, string expected)
    {
        Assert.False(SshTarget.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ssh root@", "names no node")]
    [InlineData("ssh", "Required argument missing")]
    [InlineData("ssh node-a --ttl soon", "--ttl: \"soon\" is not a duration")]
    [InlineData("ssh node-a --server http://h", "is not https")]
    [InlineData("admin ca export", "--type")]
    [InlineData("admin ca export --type both", "both")]
    [InlineData("ssh-host-key-check --node n HOSTNAME h ssh-ed25519 AAAA", "--fingerprint")]
    public void Invalid_command_lines_are_usage_errors(string line, string expected)
    {
        var parse = Parse(line.Split(' '));
        Assert.Contains(parse.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ssh node-a")]
    [InlineData("ssh root@node-a --ttl 90s --print-only -- systemctl status nginx")]
    [InlineData("ssh root@node-a --server https://custos.example:8443 --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")]
    [InlineData("admin ca export --type user")]
    [InlineData("admin ca export --type host -o json --server https://custos.example:8443")]
    [InlineData("ssh-host-key-check --node node-a --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU ORDER [127.0.0.1]:2222 NONE NONE")]
    public void Valid_command_lines_parse(string line) => Assert.Empty(Parse(line.Split(' ')).Errors.Select(e => e.Message));

    [Fact]
    public void The_host_key_check_is_hidden_from_help()
    {
        var root = CustosCommandLine.CreateRoot();
        Assert.True(root.Subcommands.Single(c => c.Name == HostKeyCheck.CommandName).Hidden);
        Assert.False(root.Subcommands.Single(c => c.Name == "ssh").Hidden);
    }
}
