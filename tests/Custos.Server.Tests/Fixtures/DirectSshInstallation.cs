using Custos.Testing;
using Custos.Testing.OpenSsh;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// Direct SSH access end to end: one <c>custos serve</c>, a real OpenSSH <c>sshd</c> for the node <c>node-a</c> that
/// trusts Custos's user CA (from <c>custos admin ca export --type user</c>) and accepts only the principal
/// <c>root@node-a</c> for root (<c>AuthorizedPrincipalsFile</c>, one file per login), and people using the real
/// <c>custos</c> executable, each in their own $CUSTOS_HOME:
/// <list type="bullet">
/// <item>alice, with the role <c>direct-ssh</c> (ssh.session and ssh.exec as root on the nodes labelled suite=direct-ssh);</item>
/// <item>bob, with no role that reaches a node;</item>
/// <item>carol, with the role <c>recorded-ssh</c>, which allows the same but requires recording;</item>
/// <item>dave, with the role <c>pinned-ssh</c>: ssh.exec as root from 127.0.0.0/8 only.</item>
/// </list>
/// The inventory: <c>node-a</c> (the sshd, registered with its host key fingerprint), <c>node-b</c> (registered, no
/// sshd: its certificates are tried against node-a) and <c>node-impostor</c> (node-a's address, another key's fingerprint).
/// </summary>
public sealed class DirectSshInstallation : IAsyncLifetime
{
    private const string AdminPassword = "direct ssh operator passphrase 3 custos";
    private readonly TempDirectory _root = new("custos-direct-ssh");
    private CliInstallation? _installation;
    private SshdProcess? _sshd;

    private CliInstallation Cli => _installation ?? throw new InvalidOperationException("not started");

    public ServerProcess Server => Cli.Server;

    public SshdProcess NodeA => _sshd ?? throw new InvalidOperationException("not started");

    public CliHome Admin => Cli.Admin;

    public CliHome Alice { get; private set; } = null!;

    public CliHome Bob { get; private set; } = null!;

    public CliHome Carol { get; private set; } = null!;

    public CliHome Dave { get; private set; } = null!;

    /// <summary>The user CA lines as <c>custos admin ca export --type user</c> printed them (node-a's TrustedUserCAKeys).</summary>
    public string UserCaLines { get; private set; } = "";

    /// <summary>A fresh path in the fixture's directory for a test's files.</summary>
    public string File(string name) => _root.Combine(name);

    /// <summary>The private key <c>custos login</c> made for <paramref name="home"/>'s default profile.</summary>
    public static string KeyFile(CliHome home) => Path.Combine(home.Root, "keys", "default", "id_ed25519");

    public static string CertificateFile(CliHome home) => KeyFile(home) + "-cert.pub";

    public async ValueTask InitializeAsync()
    {
        _installation = await CliInstallation.StartAsync(_root, AdminPassword);

        // The node: trusts the user CA as exported, and root takes only root@node-a.
        UserCaLines = CliInstallation.Succeeded(await Admin.RunAsync("admin", "ca", "export", "--type", "user")).Stdout;
        var nodeDir = _root.Combine("node-a");
        Directory.CreateDirectory(Path.Combine(nodeDir, "principals"));
        await System.IO.File.WriteAllTextAsync(Path.Combine(nodeDir, "user_ca.pub"), UserCaLines);
        await System.IO.File.WriteAllTextAsync(Path.Combine(nodeDir, "principals", "root"), "root@node-a\n");
        var hostKeyFingerprint = await OpenSshProgram.GenerateKeyAsync(Path.Combine(nodeDir, "ssh_host_ed25519_key"), "node-a");
        _sshd = SshdProcess.Start(nodeDir,
        [
            "HostKey " + Path.Combine(nodeDir, "ssh_host_ed25519_key"),
            "TrustedUserCAKeys " + Path.Combine(nodeDir, "user_ca.pub"),
            "AuthorizedPrincipalsFile " + Path.Combine(nodeDir, "principals", "%u"),
            "AuthorizedKeysFile none",
            // The fixture's files live under /tmp, which StrictModes would refuse to read principals from.
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "LogLevel VERBOSE",
        ]);
        var otherFingerprint = await OpenSshProgram.GenerateKeyAsync(_root.Combine("impostor_key"), "impostor");
        var nodeAddress = "127.0.0.1:" + NodeA.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "add", "node-a", "--kind", "ssh_node", "--address", nodeAddress,
            "--host-key-fingerprint", hostKeyFingerprint, "--label", "suite=direct-ssh"));
        CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "add", "node-b", "--kind", "ssh_node", "--address", "127.0.0.1:" + FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--host-key-fingerprint", otherFingerprint, "--label", "suite=direct-ssh"));
        CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "add", "node-impostor", "--kind", "ssh_node", "--address", nodeAddress,
            "--host-key-fingerprint", otherFingerprint, "--label", "suite=direct-ssh"));

        await Cli.CreateRoleAsync("direct-ssh", """
            kind: role
            name: direct-ssh
            description: Root on the direct-ssh test nodes, shell or command
            allow:
              resources: [{ kind: ssh_node, labels: { suite: direct-ssh } }]
              actions: [ssh.session, ssh.exec]
              logins: [root]
            """);
        await Cli.CreateRoleAsync("recorded-ssh", """
            kind: role
            name: recorded-ssh
            description: Root on the direct-ssh test nodes, recorded (through the gateway only)
            allow:
              resources: [{ kind: ssh_node, labels: { suite: direct-ssh } }]
              actions: [ssh.session, ssh.exec]
              logins: [root]
              session: { recording: required }
            """);
        await Cli.CreateRoleAsync("pinned-ssh", """
            kind: role
            name: pinned-ssh
            description: Root on the direct-ssh test nodes, from loopback only
            allow:
              resources: [{ kind: ssh_node, labels: { suite: direct-ssh } }]
              actions: [ssh.exec]
              logins: [root]
              conditions: { source_networks: [127.0.0.0/8] }
            """);
        Alice = await Cli.EnrolAsync("alice", "user,direct-ssh");
        Bob = await Cli.EnrolAsync("bob", "user");
        Carol = await Cli.EnrolAsync("carol", "user,recorded-ssh");
        Dave = await Cli.EnrolAsync("dave", "user,pinned-ssh");
    }

    public async ValueTask DisposeAsync()
    {
        if (_sshd is not null) await _sshd.DisposeAsync();
        if (_installation is not null) await _installation.Server.DisposeAsync();
        _root.Dispose();
    }
}
