using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Support;

/// <summary>
/// A real OpenSSH sshd on a free loopback port with its own configuration (absolute paths, no PAM):
/// an Ed25519 host key with a host certificate, a user key in authorized_keys and a user CA.
/// </summary>
internal sealed class RealSshd : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Process _process;

    public RealSshd()
    {
        Directory.CreateDirectory("/run/sshd");
        HostKey = SshPrivateKey.Generate(SshKeyType.Ed25519);
        HostCa = SshPrivateKey.Generate(SshKeyType.Ed25519);
        UserCa = SshPrivateKey.Generate(SshKeyType.Ed25519);
        UserKey = SshPrivateKey.Generate(SshKeyType.Ed25519);
        HostCertificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = HostKey.PublicKey,
            Type = SshCertificateType.Host,
            KeyId = "test sshd",
            Principals = ["sshd.test"],
        }, HostCa);
        var hostKeyPath = _directory.Write("host_key", HostKey.ToOpenSshText("host"));
        _directory.Write("host_key-cert.pub", HostCertificate.ToText("host") + "\n");
        _directory.Write("authorized_keys", UserKey.PublicKey.ToText("user") + "\n");
        _directory.Write("user_ca.pub", UserCa.PublicKey.ToText("ca") + "\n");
        Port = FreePort();
        var config = _directory.Write("sshd_config", $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKeyPath}
            HostCertificate {_directory.File("host_key-cert.pub")}
            PidFile {_directory.File("sshd.pid")}
            AuthorizedKeysFile {_directory.File("authorized_keys")}
            TrustedUserCAKeys {_directory.File("user_ca.pub")}
            UsePAM no
            StrictModes no
            PermitRootLogin yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AllowTcpForwarding yes
            Subsystem sftp /usr/lib/openssh/sftp-server
            LogLevel ERROR
            """);
        var start = new ProcessStartInfo(OpenSshTools.Sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-D", "-e", "-f", config })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (Log) { Log.Add(e.Data); } } };
        _process.BeginErrorReadLine();
        WaitUntilListening();
    }

    public int Port { get; }
    public SshPrivateKey HostKey { get; }
    public SshPrivateKey HostCa { get; }
    public SshPrivateKey UserCa { get; }
    public SshPrivateKey UserKey { get; }
    public SshCertificate HostCertificate { get; }
    public List<string> Log { get; } = [];

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail("sshd exited: " + string.Join('\n', Log));
            }
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        Assert.Fail("sshd did not start listening");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        HostKey.Dispose();
        HostCa.Dispose();
        UserCa.Dispose();
        UserKey.Dispose();
        _directory.Dispose();
    }
}
