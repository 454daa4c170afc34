using Custos.Ssh.Authentication;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Tests.Interop;

/// <summary>Certificates in both directions between the stock OpenSSH client and our server.</summary>
public sealed class OpenSshCertificateTests : IAsyncLifetime
{
    private readonly SshPrivateKey _userCa = SshPrivateKey.Generate();
    private readonly SshPrivateKey _hostCa = SshPrivateKey.Generate();
    private readonly SshPrivateKey _hostKey = SshPrivateKey.Generate();
    private OurServer _server = null!;
    private OpenSshClient _client = null!;

    public ValueTask InitializeAsync()
    {
        var hostCertificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = _hostKey.PublicKey,
            Type = SshCertificateType.Host,
            Principals = ["127.0.0.1"],
        }, _hostCa);
        var validator = new SshCertificateValidator([_userCa.PublicKey], TimeProvider.System);
        _server = new OurServer(configure: o => o with
        {
            HostKeys = [new PrivateKeyHostKey(_hostKey, hostCertificate.Blob)],
            Authenticator = new CertificateAuthenticator(validator, o.Authenticator!),
        });
        _client = new OpenSshClient(_server.Port);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _userCa.Dispose();
        _hostCa.Dispose();
        _hostKey.Dispose();
    }

    [Fact]
    public void Ssh_logs_in_with_a_user_certificate_and_checks_our_host_certificate()
    {
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = _client.UserKey.PublicKey,
            KeyId = "tester",
            Principals = ["tester"],
            ValidBefore = DateTimeOffset.UtcNow.AddMinutes(10),
        }, _userCa);
        var certificateFile = _client.Directory.Write("id_user-cert.pub", certificate.ToText("tester") + "\n");
        var knownHosts = _client.Directory.Write("known_hosts", $"@cert-authority 127.0.0.1 {_hostCa.PublicKey.ToText()}\n");
        var options = new List<string>
        {
            "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
            "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + _client.IdentityFile, "-o", "CertificateFile=" + certificateFile,
            "-o", "HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com",
        };

        var result = _client.Ssh(null, options, "echo", "certified");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("certified\n", result.Output);
        var session = Assert.Single(_server.Sessions);
        Assert.IsType<SshCertificate>(session.AuthenticationContext!.AuthenticatedKey);
    }

    [Fact]
    public void Ssh_refuses_a_host_certificate_from_another_CA()
    {
        using var otherCa = SshPrivateKey.Generate();
        var knownHosts = _client.Directory.Write("known_hosts_other", $"@cert-authority 127.0.0.1 {otherCa.PublicKey.ToText()}\n");
        var options = new List<string>
        {
            "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
            "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + _client.IdentityFile, "-o", "HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com",
        };

        var result = _client.Ssh(null, options, "true");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Host key verification failed", result.Error);
    }
}
