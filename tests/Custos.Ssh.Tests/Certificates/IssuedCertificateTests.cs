using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Certificates;

/// <summary>Certificates Custos signs, checked against the real <c>ssh-keygen -L</c>.</summary>
public class IssuedCertificateTests
{
    public static TheoryData<SshKeyType, SshKeyType, string?> CaAndSubjectTypes => new()
    {
        { SshKeyType.Ed25519, SshKeyType.Ed25519, null },
        { SshKeyType.Ed25519, SshKeyType.Rsa, null },
        { SshKeyType.EcdsaP256, SshKeyType.Ed25519, null },
        { SshKeyType.EcdsaP384, SshKeyType.EcdsaP256, null },
        { SshKeyType.EcdsaP521, SshKeyType.EcdsaP384, null },
        { SshKeyType.Rsa, SshKeyType.EcdsaP521, "rsa-sha2-256" },
        { SshKeyType.Rsa, SshKeyType.Ed25519, "rsa-sha2-512" },
    };

    [Theory]
    [MemberData(nameof(CaAndSubjectTypes))]
    public void Every_certificate_we_sign_is_shown_by_ssh_keygen_with_exactly_our_fields(SshKeyType caType, SshKeyType subjectType, string? signatureAlgorithm)
    {
        using SshPrivateKey ca = SshPrivateKey.Generate(caType, 2048);
        using SshPrivateKey subject = SshPrivateKey.Generate(subjectType, 2048);
        var fields = new SshCertificateFields
        {
            Key = subject.PublicKey,
            Serial = 0xDEADBEEF01,
            KeyId = "alice@custos grant 42",
            Principals = ["alice", "root", "alice"],
            ValidAfter = new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero),
            ValidBefore = new DateTimeOffset(2026, 11, 30, 11, 0, 0, TimeSpan.Zero),
            CriticalOptions = [new("source-address", "10.0.0.0/8,::1/128"), new("force-command", "/usr/bin/uptime"), new("verify-required")],
            Extensions = [new("permit-pty"), new("permit-X11-forwarding"), new("custos-grant@custos.dev", "g-42"), new("permit-agent-forwarding"), new("no-touch-required")],
        };

        SshCertificate certificate = SshCertificate.Issue(fields, ca, signatureAlgorithm);
        using var dir = new TempDirectory();
        string path = dir.Write("id-cert.pub", certificate.ToText("alice") + "\n");

        Assert.Equal(CertificateListing.ExpectedFor(certificate), CertificateListing.Read(path));
        CertificateListing listing = CertificateListing.Read(path);
        Assert.Equal("alice\nroot", listing.Principals);
        Assert.Equal("force-command /usr/bin/uptime\nsource-address 10.0.0.0/8,::1/128\nverify-required", listing.CriticalOptions);
    }

    [Theory]
    [InlineData(SshCertificateType.Host, 0L, null)]
    [InlineData(SshCertificateType.User, 0L, 1893456000L)]
    [InlineData(SshCertificateType.Host, 1767225600L, null)]
    public void Host_certificates_and_open_ended_validity_are_shown_as_ssh_keygen_shows_its_own(SshCertificateType type, long after, long? before)
    {
        using SshPrivateKey ca = SshPrivateKey.Generate();
        using SshPrivateKey host = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        SshCertificate certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = host.PublicKey,
            Type = type,
            KeyId = "node-1",
            Principals = type == SshCertificateType.Host ? ["node-1.example.com", "10.1.2.3"] : [],
            ValidAfter = DateTimeOffset.FromUnixTimeSeconds(after),
            ValidBefore = before is null ? null : DateTimeOffset.FromUnixTimeSeconds(before.Value),
        }, ca);
        using var dir = new TempDirectory();
        string path = dir.Write("host-cert.pub", certificate.ToText() + "\n");

        CertificateListing listing = CertificateListing.Read(path);

        Assert.Equal(CertificateListing.ExpectedFor(certificate), listing);
    }

    [Theory]
    [InlineData("sk-ed25519")]
    [InlineData("sk-ecdsa")]
    public void A_certificate_we_sign_for_a_security_key_is_shown_by_ssh_keygen_with_our_fields(string type)
    {
        using var dir = new TempDirectory();
        SshPublicKey securityKey = SshPublicKey.ParseText(File.ReadAllText(KeygenCertificateTests.PublicKeyFile(dir, "sk", type)));
        using SshPrivateKey ca = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        SshCertificate certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = securityKey,
            Serial = 9,
            KeyId = "token",
            Principals = ["alice"],
            CriticalOptions = [new(SshCertificateOptionNames.VerifyRequired)],
            Extensions = [new(SshCertificateOptionNames.PermitPty)],
        }, ca);
        string path = dir.Write("sk-cert.pub", certificate.ToText() + "\n");

        Assert.Equal(CertificateListing.ExpectedFor(certificate), CertificateListing.Read(path));
        Assert.StartsWith("sk-", certificate.Algorithm, StringComparison.Ordinal);
        Assert.EndsWith("-cert-v01@openssh.com", certificate.Algorithm, StringComparison.Ordinal);
    }

    [Fact]
    public void An_issued_certificate_round_trips_through_its_wire_form()
    {
        using SshPrivateKey ca = SshPrivateKey.Generate();
        using SshPrivateKey user = SshPrivateKey.Generate();
        SshCertificate issued = SshCertificate.Issue(new SshCertificateFields
        {
            Key = user.PublicKey,
            Serial = 7,
            KeyId = "k",
            Principals = ["bob"],
            Extensions = [new("permit-pty")],
            CriticalOptions = [new("force-command", "true")],
        }, ca);

        var parsed = Assert.IsType<SshCertificate>(SshPublicKey.Parse(issued.Blob.Span));

        Assert.Equal(issued.Blob.ToArray(), parsed.Blob.ToArray());
        Assert.Equal(issued.Principals, parsed.Principals);
        Assert.Equal(issued.CriticalOptions, parsed.CriticalOptions);
        Assert.Equal(issued.Extensions, parsed.Extensions);
        Assert.Equal(user.PublicKey, parsed.Key);
        Assert.Equal(ca.PublicKey, parsed.SignatureKey);
        Assert.True(parsed.HasValidSignature());
        Assert.Equal("true", parsed.ForceCommand);
    }
}
