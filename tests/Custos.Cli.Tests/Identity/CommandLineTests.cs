namespace Custos.Cli.Tests.Identity;

/// <summary>The command lines of the identity commands: what parses, and what is refused as a usage error (exit 2).</summary>
public sealed class CommandLineTests
{
    private const string Server = "--server https://127.0.0.1:3080";

    [Theory]
    [InlineData("login --server https://custos.example:8443 --user alice")]
    [InlineData("login --server https://127.0.0.1:3080 --user alice --password-stdin --otp 123456 --ca-file /tmp/ca.pem")]
    [InlineData("login --server https://127.0.0.1:3080 --user alice --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")]
    [InlineData("login")]
    [InlineData("logout")]
    [InlineData("status")]
    [InlineData("status -o json")]
    [InlineData("status --output text")]
    [InlineData("passwd")]
    [InlineData("passwd --password-stdin --otp 123456")]
    [InlineData("mfa verify")]
    [InlineData("mfa verify --otp 123456")]
    [InlineData("admin bootstrap " + Server + " --ca-file /d/tls/server.crt --token-file /d/bootstrap.token --user admin --password-stdin")]
    [InlineData("admin bootstrap " + Server + " --token-file t --user admin --display-name Admin --email a@example.com --qr-png qr.png")]
    [InlineData("invite accept " + Server + " --ca-file c --token-file t --password-stdin")]
    [InlineData("invite accept " + Server + " --token-file t --password-stdin --otp 123456")]
    [InlineData("invite accept --token-file t --mfa-reset")]
    [InlineData("admin users add alice")]
    [InlineData("admin users add alice --trait team=db --trait team=web --trait env=prod --email a@example.com --roles dev,ops --display-name Alice --invitation-ttl 24h --out /tmp/alice.token")]
    [InlineData("admin users ls")]
    [InlineData("admin users ls --kind bot -o json")]
    [InlineData("admin users show alice -o json")]
    [InlineData("admin users suspend alice")]
    [InlineData("admin users resume alice")]
    [InlineData("admin users disable alice")]
    [InlineData("admin users rm alice --yes")]
    [InlineData("admin users reset-mfa alice --out f")]
    [InlineData("admin users reset-password alice")]
    [InlineData("admin users unlock alice")]
    [InlineData("admin users set-roles alice dev,ops")]
    [InlineData("admin users set-traits alice --trait team=db")]
    [InlineData("admin sessions ls --user alice -o json")]
    [InlineData("admin sessions revoke 0123456789abcdef")]
    [InlineData("admin bots add ci --roles deploy --kind agent --credential-ttl 1h --out ci.join")]
    [InlineData("bot join " + Server + " --ca-file c --token-file t --out /tmp/bot")]
    [InlineData("bot renew --out /tmp/bot")]
    [InlineData("admin bootstrap-token --data-dir /tmp/d")]
    [InlineData("admin recover --data-dir /tmp/d --user admin")]
    [InlineData("admin recover --data-dir /tmp/d --database postgresql://h/custos --user admin --ttl 24h --out /tmp/r.token --force --resume " + Server)]
    [InlineData("admin recover --data-dir /tmp/d --user admin --ttl 5m")]
    public void Valid_command_lines_parse(string line)
    {
        var parse = CustosCommandLine.CreateRoot().Parse(line.Split(' '));
        Assert.Empty(parse.Errors.Select(e => e.Message));
    }

    [Theory]
    [InlineData("admin users add alice --trait team", "--trait: \"team\" is not KEY=VALUE")]
    [InlineData("admin users add alice --trait =db", "is not KEY=VALUE")]
    [InlineData("admin users set-traits alice", "--trait")]
    [InlineData("admin users ls -o yaml", "yaml")]
    [InlineData("status -o yaml", "yaml")]
    [InlineData("admin users ls --kind robot", "robot")]
    [InlineData("admin users add alice --invitation-ttl forever", "--invitation-ttl: \"forever\" is not a duration")]
    [InlineData("admin users add a/b", "is not a valid name")]
    [InlineData("admin recover --user admin", "--data-dir")]
    [InlineData("admin recover --data-dir /tmp/d", "--user")]
    [InlineData("admin recover --data-dir /tmp/d --user admin --ttl 25h", "--ttl: 25h is outside 5m to 24h")]
    [InlineData("admin recover --data-dir /tmp/d --user admin --ttl 4m", "--ttl: 4m is outside 5m to 24h")]
    [InlineData("admin recover --data-dir /tmp/d --user admin --ttl soon", "--ttl: \"soon\" is not a duration")]
    [InlineData("admin recover --data-dir /tmp/d --user admin --server http://h:1", "is not https")]
    [InlineData("admin users add alice --roles dev,a/b", "is not a role name")]
    [InlineData("admin bots add ci", "--roles")]
    [InlineData("admin bots add ci --roles x --kind user", "user")]
    [InlineData("bot join --token-file t", "--out")]
    [InlineData("bot renew", "--out")]
    [InlineData("login --server http://custos.example --user a", "is not https")]
    [InlineData("login --server not-a-url --user a", "is not a URL")]
    [InlineData("login --server https://h --user a --fingerprint MD5:aa", "--fingerprint")]
    [InlineData("login --server https://h --user a --ca-file c --fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", "not both")]
    [InlineData("login --password secret", "--password")]
    [InlineData("admin bootstrap --token-file t", "--user")]
    [InlineData("admin bootstrap --user admin", "--token-file")]
    [InlineData("invite accept", "--token-file")]
    [InlineData("admin users rm", "Required argument missing")]
    [InlineData("admin sessions revoke", "Required argument missing")]
    public void Invalid_command_lines_are_refused_with_a_message(string line, string expected)
    {
        var parse = CustosCommandLine.CreateRoot().Parse(line.Split(' '));
        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("admin users add alice --trait team")]
    [InlineData("admin users ls -o yaml")]
    [InlineData("login --server http://x --user a")]
    public async Task Usage_errors_exit_2(string line)
    {
        Assert.Equal(ExitCodes.Usage, await CliRunner.RunAsync(CustosCommandLine.CreateRoot(), line.Split(' ')));
    }

    [Fact]
    public void No_identity_command_takes_a_password_or_token_as_an_argument()
    {
        var root = CustosCommandLine.CreateRoot();
        var names = new List<string>();
        void Walk(System.CommandLine.Command command)
        {
            names.AddRange(command.Options.Select(o => o.Name));
            foreach (var child in command.Subcommands) Walk(child);
        }
        Walk(root);
        Assert.DoesNotContain(names, n => n is "--password" or "--token" or "--credential" or "--secret" or "--recovery-code");
    }
}
