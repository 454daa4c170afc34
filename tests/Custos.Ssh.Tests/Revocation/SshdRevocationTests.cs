using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;

namespace Custos.Ssh.Tests.Revocation;

/// <summary>A real sshd trusting our CA and reading our KRL accepts our valid certificate and refuses the revoked one.</summary>
public class SshdRevocationTests
{
    [Theory]
    [InlineData(SshKeyType.Ed25519, SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP384, SshKeyType.Rsa)]
    public void Sshd_accepts_a_valid_certificate_signed_by_Custos_and_refuses_the_revoked_one(SshKeyType caType, SshKeyType userType)
    {
        using SshPrivateKey ca = SshPrivateKey.Generate(caType, 2048);
        using SshPrivateKey user = SshPrivateKey.Generate(userType, 2048);
        SshCertificate Issue(ulong serial) => SshCertificate.Issue(new SshCertificateFields
        {
            Key = user.PublicKey,
            Serial = serial,
            KeyId = $"root grant {serial}",
            Principals = ["root"],
            ValidAfter = DateTimeOffset.UtcNow.AddMinutes(-5),
            ValidBefore = DateTimeOffset.UtcNow.AddMinutes(30),
            Extensions = [new(SshCertificateOptionNames.PermitPty)],
        }, ca);
        SshCertificate valid = Issue(1001);
        SshCertificate revoked = Issue(1002);
        byte[] krl = new KeyRevocationListBuilder { Version = 1 }.RevokeSerial(ca.PublicKey, 1002).Build(TimeProvider.System).Encode();
        Assert.False(KeyRevocationList.Parse(krl).IsRevoked(valid));
        Assert.True(KeyRevocationList.Parse(krl).IsRevoked(revoked));

        using var server = new OpenSshServer(trustedUserCaKeys: ca.PublicKey.ToText("custos ca") + "\n", revokedKeys: krl);
        string identity = server.WriteFile("id", user.ToOpenSshText());
        OpenSshTools.Result accepted = server.Login(identity, server.WriteFile("valid-cert.pub", valid.ToText() + "\n"));
        OpenSshTools.Result refused = server.Login(identity, server.WriteFile("revoked-cert.pub", revoked.ToText() + "\n"));

        Assert.True(accepted.ExitCode == 0, $"valid certificate refused: {accepted.Error}\nsshd: {server.LogText}");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("revoked", server.LogText, StringComparison.OrdinalIgnoreCase);
    }
}
