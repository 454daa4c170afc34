using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Testing.OpenSsh;

namespace Custos.Ssh.Tests.Support;

/// <summary>
/// A real OpenSSH sshd (<see cref="SshdProcess"/>) with its own configuration (absolute paths, no PAM):
/// an Ed25519 host key with a host certificate, a user key in authorized_keys and a user CA.
/// </summary>
internal sealed class RealSshd : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SshdProcess _sshd;

    public RealSshd()
    {
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
        _sshd = SshdProcess.Start(_directory.Path,
        [
            $"HostKey {hostKeyPath}",
            $"HostCertificate {_directory.File("host_key-cert.pub")}",
            $"AuthorizedKeysFile {_directory.File("authorized_keys")}",
            $"TrustedUserCAKeys {_directory.File("user_ca.pub")}",
            "StrictModes no",
            "PermitRootLogin yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "AllowTcpForwarding yes",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "LogLevel ERROR",
        ]);
    }

    public int Port => _sshd.Port;
    public SshPrivateKey HostKey { get; }
    public SshPrivateKey HostCa { get; }
    public SshPrivateKey UserCa { get; }
    public SshPrivateKey UserKey { get; }
    public SshCertificate HostCertificate { get; }
    public string LogText => _sshd.LogText;

    public async ValueTask DisposeAsync()
    {
        await _sshd.DisposeAsync();
        HostKey.Dispose();
        HostCa.Dispose();
        UserCa.Dispose();
        UserKey.Dispose();
        _directory.Dispose();
    }
}
