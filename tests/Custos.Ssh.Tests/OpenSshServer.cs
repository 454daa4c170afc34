using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests;

/// <summary>
/// A real sshd on a free loopback port with its own configuration, host key (written by Custos),
/// authorized_keys, trusted user CA keys and revocation list, all in a temporary directory.
/// </summary>
internal sealed class OpenSshServer : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Process _process;

    public OpenSshServer(string authorizedKeys = "", string trustedUserCaKeys = "", byte[]? revokedKeys = null)
    {
        Assert.True(File.Exists(OpenSshTools.Sshd), $"{OpenSshTools.Sshd} is required by the golden tests (scripts/test.sh installs OpenSSH).");
        Directory.CreateDirectory("/run/sshd");
        using SshPrivateKey hostKey = SshPrivateKey.Generate();
        string hostKeyPath = _dir.Write("host_ed25519", hostKey.ToOpenSshText("custos test host"));
        string authorizedKeysPath = _dir.Write("authorized_keys", authorizedKeys);
        string caPath = _dir.Write("trusted_user_ca_keys", trustedUserCaKeys);
        string krlPath = _dir.File("revoked.krl");
        File.WriteAllBytes(krlPath, revokedKeys ?? []);
        Port = FreePort();
        string config = _dir.Write("sshd_config", string.Join('\n',
            $"Port {Port}",
            "ListenAddress 127.0.0.1",
            $"HostKey {hostKeyPath}",
            $"PidFile {_dir.File("sshd.pid")}",
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            $"AuthorizedKeysFile {authorizedKeysPath}",
            $"TrustedUserCAKeys {caPath}",
            $"RevokedKeys {krlPath}",
            "LogLevel VERBOSE") + "\n");

        var start = new ProcessStartInfo(OpenSshTools.Sshd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { "-D", "-e", "-f", config })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => { lock (Log) { Log.Add(e.Data ?? string.Empty); } };
        _process.BeginErrorReadLine();
        WaitUntilListening();
    }

    public int Port { get; }

    /// <summary>sshd's log lines, for failure messages.</summary>
    public List<string> Log { get; } = [];

    public string LogText
    {
        get
        {
            lock (Log)
            {
                return string.Join('\n', Log);
            }
        }
    }

    /// <summary>Runs <c>ssh root@127.0.0.1 true</c> with the given identity (and certificate); true when login succeeded.</summary>
    public OpenSshTools.Result Login(string identityPath, string? certificatePath = null)
    {
        var arguments = new List<string>
        {
            "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", identityPath,
        };
        if (certificatePath is not null)
        {
            arguments.AddRange(["-o", "CertificateFile=" + certificatePath]);
        }

        arguments.AddRange(["root@127.0.0.1", "true"]);
        return OpenSshTools.Run(OpenSshTools.Ssh, [.. arguments]);
    }

    public string WriteFile(string name, string content) => _dir.Write(name, content);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void WaitUntilListening()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            Assert.False(_process.HasExited, $"sshd exited at start-up: {LogText}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        Assert.Fail($"sshd did not listen on port {Port}: {LogText}");
    }
}
