using Custos.Ssh.Keys;
using Custos.Testing.OpenSsh;

namespace Custos.Ssh.Tests;

/// <summary>
/// A real sshd (<see cref="SshdProcess"/>) with its own configuration, host key (written by Custos),
/// authorized_keys, trusted user CA keys and revocation list, all in a temporary directory.
/// </summary>
internal sealed class OpenSshServer : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SshdProcess _sshd;

    public OpenSshServer(string authorizedKeys = "", string trustedUserCaKeys = "", byte[]? revokedKeys = null)
    {
        using SshPrivateKey hostKey = SshPrivateKey.Generate();
        string hostKeyPath = _dir.Write("host_ed25519", hostKey.ToOpenSshText("custos test host"));
        string authorizedKeysPath = _dir.Write("authorized_keys", authorizedKeys);
        string caPath = _dir.Write("trusted_user_ca_keys", trustedUserCaKeys);
        string krlPath = _dir.File("revoked.krl");
        File.WriteAllBytes(krlPath, revokedKeys ?? []);
        _sshd = SshdProcess.Start(_dir.Path,
        [
            $"HostKey {hostKeyPath}",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            $"AuthorizedKeysFile {authorizedKeysPath}",
            $"TrustedUserCAKeys {caPath}",
            $"RevokedKeys {krlPath}",
            "LogLevel VERBOSE",
        ]);
    }

    public int Port => _sshd.Port;

    /// <summary>sshd's log, for failure messages.</summary>
    public string LogText => _sshd.LogText;

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
        _sshd.Dispose();
        _dir.Dispose();
    }
}
