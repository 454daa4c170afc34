using Custos.Cli.Client;
using Custos.Cli.Ssh;

namespace Custos.Cli.Tests.Ssh;

/// <summary>The ssh command line <c>custos ssh</c> runs: only Custos's key, certificate and host trust, strictly.</summary>
public sealed class SshInvocationTests
{
    private const string Fingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    private static readonly SshKeyDirectory Keys = SshKeyDirectory.For(new CustosHome("/home/alice/.custos"), (Profile?)null);

    private static SshInvocation Invocation(string? fingerprint = null, string? command = null, SshKeyDirectory? keys = null) =>
        new("/usr/bin/ssh", keys ?? Keys, "root", "10.0.0.5", 2222, command, new HostKeyTrust("node-a", fingerprint, ["/usr/bin/dotnet", "/opt/custos/custos.dll"]));

    private static string Option(IReadOnlyList<string> arguments, string name) =>
        arguments.Where((a, i) => i > 0 && arguments[i - 1] == "-o" && a.StartsWith(name + "=", StringComparison.Ordinal)).Single()[(name.Length + 1)..];

    [Fact]
    public void Only_the_profiles_key_and_certificate_are_offered_and_host_keys_are_checked_strictly()
    {
        var arguments = Invocation().Arguments();
        Assert.Equal(["-i", "/home/alice/.custos/keys/default/id_ed25519"], arguments.Take(2));
        Assert.Equal("/home/alice/.custos/keys/default/id_ed25519-cert.pub", Option(arguments, "CertificateFile"));
        Assert.Equal("yes", Option(arguments, "IdentitiesOnly"));
        Assert.Equal("/home/alice/.custos/keys/default/known_hosts", Option(arguments, "UserKnownHostsFile"));
        Assert.Equal("/dev/null", Option(arguments, "GlobalKnownHostsFile"));
        Assert.Equal("yes", Option(arguments, "StrictHostKeyChecking"));
        Assert.Equal("no", Option(arguments, "UpdateHostKeys"));
        Assert.DoesNotContain(arguments, a => a.StartsWith("KnownHostsCommand=", StringComparison.Ordinal));
        Assert.Equal(["-p", "2222", "root@10.0.0.5"], arguments.TakeLast(3));
    }

    [Fact]
    public void The_remote_command_is_one_last_argument()
    {
        Assert.Equal(["root@10.0.0.5", "id -un"], Invocation(command: "id -un").Arguments().TakeLast(2));
    }

    [Fact]
    public void A_registered_fingerprint_adds_the_checking_KnownHostsCommand_with_ssh_tokens()
    {
        var command = Option(Invocation(Fingerprint).Arguments(), "KnownHostsCommand");
        Assert.Equal($"/usr/bin/dotnet /opt/custos/custos.dll ssh-host-key-check --node node-a --fingerprint {Fingerprint} %I %H %t %K", command);
    }

    [Fact]
    public void Paths_with_spaces_or_percent_signs_survive_ssh_splitting_and_token_expansion()
    {
        var keys = SshKeyDirectory.For(new CustosHome("/home/al ice/100%"), (Profile?)null);
        var arguments = Invocation(keys: keys).Arguments();
        Assert.Equal("/home/al ice/100%%/keys/default/id_ed25519", arguments[1]);
        Assert.Equal("\"/home/al ice/100%%/keys/default/id_ed25519-cert.pub\"", Option(arguments, "CertificateFile"));
        Assert.Equal("a\\\"b", SshInvocation.ConfigValue("a\"b")[1..^1]);
        var command = SshInvocation.HostKeyCheckCommand(["/opt/my custos/custos"], "node-a", Fingerprint);
        Assert.StartsWith("\"/opt/my custos/custos\" ssh-host-key-check ", command, StringComparison.Ordinal);
    }

    [Fact]
    public void The_printed_command_is_quoted_for_a_posix_shell()
    {
        var text = Invocation(command: "echo 'hi there'").ToShellText();
        Assert.StartsWith("/usr/bin/ssh -i /home/alice/.custos/keys/default/id_ed25519 -o CertificateFile=", text, StringComparison.Ordinal);
        Assert.EndsWith(" -p 2222 root@10.0.0.5 'echo '\\''hi there'\\'''", text, StringComparison.Ordinal);
    }
}
