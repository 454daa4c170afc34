using Custos.Cli.Policy;

namespace Custos.Cli.Tests.Policy;

/// <summary>The command lines of the policy commands: what parses, and what is refused as a usage error (exit 2).</summary>
public sealed class PolicyCommandLineTests
{
    private const string Fingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

    [Theory]
    [InlineData("admin resources add web-1 --kind ssh_node --address 10.0.0.5:22 --label env=prod --label team=payments")]
    [InlineData("admin resources add web-1 --kind ssh_node --address web-1.internal --host-key-fingerprint " + Fingerprint)]
    [InlineData("admin resources add web-1 --kind ssh_node --address web-1.internal --trust-host-ca")]
    [InlineData("admin resources add pg --kind database --address pg.internal:5432 --database orders --database billing")]
    [InlineData("admin resources add grafana --kind app --url https://grafana.internal --label env=prod")]
    [InlineData("admin resources ls")]
    [InlineData("admin resources ls --kind database --label env=prod --label team=a -o json")]
    [InlineData("admin resources show web-1 -o json")]
    [InlineData("admin resources rm web-1")]
    [InlineData("admin resources import inventory.yaml")]
    [InlineData("admin resources import -")]
    [InlineData("admin resources export")]
    [InlineData("admin resources export -o inventory.yaml")]
    [InlineData("admin resources export --out inventory.yaml")]
    [InlineData("admin roles create -f dba.yaml")]
    [InlineData("admin roles create --file - --dry-run")]
    [InlineData("admin roles get dba")]
    [InlineData("admin roles ls -o json")]
    [InlineData("admin roles rm dba")]
    [InlineData("admin roles update -f dba.yaml")]
    [InlineData("admin roles update -f dba.yaml --revision 3 --dry-run")]
    [InlineData("admin role-mappings add --trait team=dba --role dba-requester")]
    [InlineData("admin role-mappings ls")]
    [InlineData("admin role-mappings ls -o json")]
    [InlineData("admin role-mappings rm --trait team=dba --role dba-requester")]
    [InlineData("access check alice ssh.session web-1")]
    [InlineData("access check alice ssh.session web-1 --login deploy --from 10.1.2.3 --at 2025-06-02T09:30:00Z --mfa -o json")]
    [InlineData("access check alice db.connect pg --db-user app --db-name orders --at 2025-06-02T09:30:00.5+02:00 --from 2001:db8::1")]
    [InlineData("access check alice users.read -")]
    [InlineData("access who-can ssh.session web-1")]
    [InlineData("access who-can audit.read - -o json")]
    [InlineData("access what-can alice")]
    [InlineData("access what-can alice -o json")]
    [InlineData("ls")]
    [InlineData("ls -o json --server https://127.0.0.1:3080")]
    public void Valid_command_lines_parse(string line)
    {
        var parse = CustosCommandLine.CreateRoot().Parse(line.Split(' '));
        Assert.Empty(parse.Errors.Select(e => e.Message));
    }

    [Theory]
    [InlineData("admin resources add web-1 --address h", "--kind")]
    [InlineData("admin resources add web-1 --kind vm --address h", "vm")]
    [InlineData("admin resources add web-1 --kind ssh_node", "--kind ssh_node needs --address")]
    [InlineData("admin resources add pg --kind database", "--kind database needs --address")]
    [InlineData("admin resources add grafana --kind app", "--kind app needs --url")]
    [InlineData("admin resources add grafana --kind app --url https://g --address g:443", "--address does not apply to --kind app")]
    [InlineData("admin resources add web-1 --kind ssh_node --address h --database orders", "--database does not apply to --kind ssh_node")]
    [InlineData("admin resources add pg --kind database --address h --trust-host-ca", "--trust-host-ca does not apply to --kind database")]
    [InlineData("admin resources add web-1 --kind ssh_node --address h --host-key-fingerprint MD5:aa", "--host-key-fingerprint")]
    [InlineData("admin resources add web-1 --kind ssh_node --address h --label env", "--label: \"env\" is not KEY=VALUE")]
    [InlineData("admin resources add a/b --kind app --url https://x", "is not a valid name")]
    [InlineData("admin resources ls --kind vm", "vm")]
    [InlineData("admin resources ls --label =x", "is not KEY=VALUE")]
    [InlineData("admin resources import", "Required argument missing")]
    [InlineData("admin roles create", "--file")]
    [InlineData("admin roles update --dry-run", "--file")]
    [InlineData("admin roles update -f x --revision 0", "--revision: a revision is a positive number")]
    [InlineData("admin roles update -f x --revision many", "many")]
    [InlineData("admin roles get", "Required argument missing")]
    [InlineData("admin role-mappings add --trait team=dba", "--role")]
    [InlineData("admin role-mappings add --role r", "--trait")]
    [InlineData("admin role-mappings add --trait team --role r", "--trait: \"team\" is not KEY=VALUE")]
    [InlineData("admin role-mappings add --trait team=dba --role a,b", "--role: one role per mapping")]
    [InlineData("admin role-mappings rm --trait team=dba --role a/b", "is not a role name")]
    [InlineData("access check alice ssh.session", "Required argument missing")]
    [InlineData("access check alice ssh.everything web-1", "ACTION: \"ssh.everything\" is not an action")]
    [InlineData("access check alice ssh.session web-1 --from 10.0.0.300", "--from: \"10.0.0.300\" is not an IP address")]
    [InlineData("access check alice ssh.session web-1 --at 2025-06-02", "--at: \"2025-06-02\" is not an RFC 3339 time")]
    [InlineData("access check alice ssh.session web-1 --at 2025-06-02T09:30:00", "is not an RFC 3339 time")]
    [InlineData("access check alice ssh.session web-1 -o yaml", "yaml")]
    [InlineData("access who-can * web-1", "is not an action")]
    [InlineData("access what-can", "Required argument missing")]
    [InlineData("ls alice", "alice")]
    public void Invalid_command_lines_are_refused_with_a_message(string line, string expected)
    {
        var parse = CustosCommandLine.CreateRoot().Parse(line.Split(' '));
        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("access check alice ssh.session")]
    [InlineData("access check alice nothing web-1")]
    [InlineData("access check alice ssh.session web-1 --at yesterday")]
    [InlineData("access check alice ssh.session web-1 --from somewhere")]
    [InlineData("admin resources add web-1 --kind ssh_node")]
    public async Task Usage_errors_exit_2(string line)
    {
        Assert.Equal(ExitCodes.Usage, await CliRunner.RunAsync(CustosCommandLine.CreateRoot(), line.Split(' ')));
    }

    [Theory]
    [InlineData("2025-06-02T09:30:00Z", true)]
    [InlineData("2025-06-02t09:30:00z", true)]
    [InlineData("2025-06-02T09:30:00.123456+05:30", true)]
    [InlineData("2025-02-30T09:30:00Z", false)]
    [InlineData("2025-06-02 09:30:00Z", false)]
    [InlineData("2025-06-02T09:30Z", false)]
    [InlineData("2025-06-02T09:30:00+0200", false)]
    [InlineData("now", false)]
    public void At_takes_rfc_3339_times_with_an_offset(string text, bool valid)
    {
        Assert.Equal(valid, AccessCommands.IsRfc3339(text));
    }
}
