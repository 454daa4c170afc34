using System.Globalization;
using System.Text;
using Custos.Core.Credentials;
using Custos.Core.Crypto;
using Custos.Ssh.Keys;
using Custos.Storage;
using Custos.Testing;
using Custos.Testing.OpenSsh;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// A node set up the way docs/ssh-access.md says, with nothing configured by hand: one <c>custos serve</c>;
/// <c>node-a</c> registered with <c>custos admin resources add ... --join-token-out</c>; <c>custos node join</c> run
/// for it (host key, managed directory, logins root, a reload command that sends sshd SIGHUP); a real <c>sshd</c>
/// whose Custos lines are exactly what <c>custos admin resources sshd-config</c> printed. <c>node-b</c> is registered
/// but has no sshd. alice has the role <c>direct-ssh</c> (ssh.session and ssh.exec as root on both nodes).
/// </summary>
public sealed class JoinedNodeInstallation : IAsyncLifetime
{
    private const string AdminPassword = "joined node operator passphrase 5 custos";
    private readonly TempDirectory _root = new("custos-joined-node");
    private CliInstallation? _installation;
    private SshdProcess? _sshd;

    private CliInstallation Cli => _installation ?? throw new InvalidOperationException("not started");

    public ServerProcess Server => Cli.Server;

    public SshdProcess NodeA => _sshd ?? throw new InvalidOperationException("not started");

    public CliHome Admin => Cli.Admin;

    public CliHome Alice { get; private set; } = null!;

    /// <summary>The node's own directory (host key, sshd_config, log).</summary>
    public string NodeDirectory => _root.Combine("node-a");

    /// <summary>The directory Custos manages on the node (user_ca.pub, revoked.krl, principals/, node.json).</summary>
    public string ManagedDirectory => Path.Combine(NodeDirectory, "custos");

    public string HostPublicKey => Path.Combine(NodeDirectory, "ssh_host_ed25519_key.pub");

    public string HostCertificate => Path.Combine(NodeDirectory, "ssh_host_ed25519_key-cert.pub");

    public string[] Connect => Cli.Connect;

    /// <summary>What <c>custos admin resources sshd-config</c> printed (node-a's sshd uses these lines).</summary>
    public string SshdConfigLines { get; private set; } = "";

    /// <summary>What <c>custos node join</c> printed.</summary>
    public CliResult Joined { get; private set; } = null!;

    public string File(string name) => _root.Combine(name);

    public static string KeyFile(CliHome home) => DirectSshInstallation.KeyFile(home);

    public static string CertificateFile(CliHome home) => DirectSshInstallation.CertificateFile(home);

    public async ValueTask InitializeAsync()
    {
        _installation = await CliInstallation.StartAsync(_root, AdminPassword);

        // 1. Register the node with a join token; node-b only registered.
        Directory.CreateDirectory(NodeDirectory);
        await OpenSshProgram.GenerateKeyAsync(Path.Combine(NodeDirectory, "ssh_host_ed25519_key"), "node-a");
        var port = NodePort = FreePort.Next();
        var token = File("node-a.token");
        CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "add", "node-a", "--kind", "ssh_node", "--address", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--label", "suite=joined-node", "--join-token-out", token));
        CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "add", "node-b", "--kind", "ssh_node", "--address", "127.0.0.1:" + FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--label", "suite=joined-node"));

        // 2. On the node: join (a fresh home: the node needs no Custos session).
        var node = new CliHome(_root.Combine("node-home"));
        Joined = CliInstallation.Succeeded(await node.RunAsync(["node", "join", .. Connect, "--token-file", token, "--host-key", HostPublicKey, "--dir", ManagedDirectory,
            "--logins", "root", "--sshd-config-out", Path.Combine(NodeDirectory, "sshd_config.d", "custos.conf"), "--reload-command", $"kill -HUP $(cat {Path.Combine(NodeDirectory, "sshd.pid")})"]));

        // 3. sshd with exactly the lines the administrator's sshd-config command prints.
        SshdConfigLines = CliInstallation.Succeeded(await Admin.RunAsync("admin", "resources", "sshd-config", "node-a", "--dir", ManagedDirectory, "--host-key", HostPublicKey)).Stdout;
        var lines = SshdConfigLines
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        NodeSettings =
        [
            .. lines,
            "AuthorizedKeysFile none",
            // The fixture's files live under /tmp, which StrictModes would refuse to read principals from.
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "LogLevel VERBOSE",
        ];
        _sshd = SshdProcess.Start(NodeDirectory, port, NodeSettings);

        await Cli.CreateRoleAsync("direct-ssh", """
            kind: role
            name: direct-ssh
            description: Root on the joined-node test nodes, shell or command
            allow:
              resources: [{ kind: ssh_node, labels: { suite: joined-node } }]
              actions: [ssh.session, ssh.exec]
              logins: [root]
            """);
        Alice = await Cli.EnrolAsync("alice", "user,direct-ssh");
    }

    /// <summary>node-a's sshd settings: the sshd-config lines plus the test's own.</summary>
    public IReadOnlyList<string> NodeSettings { get; private set; } = [];

    /// <summary>node-a's port (its sshd may be stopped for a moment).</summary>
    public int NodePort { get; private set; }

    /// <summary>Stops node-a's sshd (a test puts another server on its port).</summary>
    public async Task StopNodeAsync()
    {
        if (_sshd is null) return;
        await _sshd.DisposeAsync();
        _sshd = null;
    }

    /// <summary>Starts node-a's sshd again on its port, if stopped.</summary>
    public void StartNode() => _sshd ??= SshdProcess.Start(NodeDirectory, NodePort, NodeSettings);

    /// <summary><c>custos node sync</c> on the node, as cron would run it.</summary>
    public async Task<CliResult> SyncAsync(params string[] extra) =>
        await new CliHome(_root.Combine("node-home")).RunAsync(["node", "sync", "--dir", ManagedDirectory, .. extra]);

    /// <summary>
    /// The active user CA's private key as the server holds it, read from the data directory the way an attacker with
    /// the database and master.key could (tests use it to sign certificates the server would never issue).
    /// </summary>
    public async Task<SshPrivateKey> LoadUserCaKeyAsync()
    {
        var dataDir = Server.DataDir;
        using var master = MasterKey.Parse(await System.IO.File.ReadAllTextAsync(Path.Combine(dataDir, "master.key")), "master.key");
        await using var store = StoreFactory.Open(DatabaseLocation.SqliteFile(Path.Combine(dataDir, "custos.db")), readOnly: true);
        var active = (await store.ListSshCaKeysAsync(CancellationToken.None)).Single(k => k.Type == SshCaType.User && k.State == SshCaKeyState.Active);
        var name = SshCaNames.SecretName(active.Id);
        var sealedKey = await store.GetSecretAsync(name, CancellationToken.None) ?? throw new InvalidOperationException("no sealed CA key");
        return SshPrivateKey.Load(Encoding.UTF8.GetString(new EnvelopeSealer(master).Open(name, sealedKey)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_sshd is not null) await _sshd.DisposeAsync();
        if (_installation is not null) await _installation.Server.DisposeAsync();
        _root.Dispose();
    }
}
