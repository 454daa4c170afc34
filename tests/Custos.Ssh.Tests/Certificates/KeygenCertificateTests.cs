using System.Net;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Ssh.Tests.Certificates;

/// <summary>Certificates made by the real <c>ssh-keygen -s</c> parse and validate with our decoder.</summary>
public class KeygenCertificateTests
{
    private static readonly DateTimeOffset Noon = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string> SubjectAndCaTypes => new()
    {
        { "ed25519", "ed25519" },
        { "ecdsa-256", "ecdsa-384" },
        { "ecdsa-384", "ecdsa-521" },
        { "ecdsa-521", "rsa" },
        { "rsa", "ecdsa-256" },
        { "sk-ed25519", "ed25519" },
        { "sk-ecdsa", "rsa" },
    };

    [Theory]
    [MemberData(nameof(SubjectAndCaTypes))]
    public void A_user_certificate_from_ssh_keygen_with_every_option_parses_and_validates(string subjectType, string caType)
    {
        using var dir = new TempDirectory();
        string ca = KeygenKey(dir, "ca", caType);
        string subject = PublicKeyFile(dir, "user", subjectType);
        OpenSshTools.Keygen("-q", "-s", ca, "-I", "alice@example.com", "-n", "alice,deploy", "-z", "1234",
            "-V", "20260101000000:20270101000000",
            "-O", "force-command=/usr/bin/uptime", "-O", "source-address=10.0.0.0/8,2001:db8::/32", "-O", "verify-required",
            "-O", "no-touch-required", "-O", "extension:custos@example.com=value", subject);
        string certificatePath = subject.Replace(".pub", "-cert.pub", StringComparison.Ordinal);

        var certificate = Assert.IsType<SshCertificate>(SshPublicKey.ParseText(File.ReadAllText(certificatePath)));

        Assert.Equal(CertificateListing.Read(certificatePath), CertificateListing.ExpectedFor(certificate));
        Assert.Equal(1234UL, certificate.Serial);
        Assert.Equal(["alice", "deploy"], certificate.Principals);
        Assert.Equal(SshPublicKey.ParseText(File.ReadAllText(subject)), certificate.Key);
        Assert.Equal(SshPublicKey.ParseText(File.ReadAllText(ca + ".pub")), certificate.SignatureKey);
        Assert.True(certificate.HasExtension("permit-pty"));
        Assert.True(certificate.HasExtension("no-touch-required"));

        var validator = new SshCertificateValidator([certificate.SignatureKey], new FakeTimeProvider(Noon));
        SshCertificateValidationResult result = validator.Validate(certificate, SshCertificateType.User, "deploy", IPAddress.Parse("10.20.30.40"));

        Assert.True(result.IsValid, result.Failure);
        Assert.Equal("/usr/bin/uptime", result.ForceCommand);
        Assert.True(result.UserVerificationRequired);
        Assert.Contains("custos@example.com", result.Extensions);
        Assert.False(validator.Validate(certificate, SshCertificateType.User, "deploy", IPAddress.Parse("192.0.2.1")).IsValid);
        Assert.True(validator.Validate(certificate, SshCertificateType.User, "alice", IPAddress.Parse("2001:db8::5")).IsValid);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa-256")]
    [InlineData("rsa")]
    public void A_host_certificate_from_ssh_keygen_validates_for_its_host_names(string caType)
    {
        using var dir = new TempDirectory();
        string ca = KeygenKey(dir, "ca", caType);
        string host = PublicKeyFile(dir, "host", "ed25519");
        OpenSshTools.Keygen("-q", "-s", ca, "-h", "-I", "node-1", "-n", "node-1.example.com,10.0.0.5", "-V", "-1h:+52w", host);

        var certificate = (SshCertificate)SshPublicKey.ParseText(File.ReadAllText(host.Replace(".pub", "-cert.pub", StringComparison.Ordinal)));
        var validator = new SshCertificateValidator([certificate.SignatureKey], TimeProvider.System);

        Assert.Equal(SshCertificateType.Host, certificate.Type);
        Assert.True(validator.Validate(certificate, SshCertificateType.Host, "node-1.example.com").IsValid);
        Assert.False(validator.Validate(certificate, SshCertificateType.User, "node-1.example.com").IsValid);
        Assert.False(validator.Validate(certificate, SshCertificateType.Host, "node-2.example.com").IsValid);
    }

    [Fact]
    public void A_certificate_from_ssh_keygen_with_an_unknown_critical_option_is_refused()
    {
        using var dir = new TempDirectory();
        string ca = KeygenKey(dir, "ca", "ed25519");
        string subject = PublicKeyFile(dir, "user", "ed25519");
        OpenSshTools.Keygen("-q", "-s", ca, "-I", "x", "-n", "alice", "-O", "critical:must-understand@example.com=1", subject);

        var certificate = (SshCertificate)SshPublicKey.ParseText(File.ReadAllText(subject.Replace(".pub", "-cert.pub", StringComparison.Ordinal)));
        SshCertificateValidationResult result = new SshCertificateValidator([certificate.SignatureKey], TimeProvider.System).Validate(certificate, SshCertificateType.User, "alice");

        Assert.False(result.IsValid);
        Assert.Contains("must-understand@example.com", result.Failure, StringComparison.Ordinal);
    }

    /// <summary>Generates a private key with ssh-keygen (types: ed25519, ecdsa-256/384/521, rsa) and returns its path.</summary>
    internal static string KeygenKey(TempDirectory dir, string name, string type)
    {
        string path = dir.File(name);
        string[] typeArguments = type switch
        {
            "rsa" => ["-t", "rsa", "-b", "2048"],
            _ when type.StartsWith("ecdsa-", StringComparison.Ordinal) => ["-t", "ecdsa", "-b", type["ecdsa-".Length..]],
            _ => ["-t", type],
        };
        OpenSshTools.Keygen([.. typeArguments, "-q", "-N", "", "-C", name, "-f", path]);
        return path;
    }

    /// <summary>A .pub file for any supported type; security-key public keys are built by hand (no authenticator here).</summary>
    internal static string PublicKeyFile(TempDirectory dir, string name, string type)
    {
        if (!type.StartsWith("sk-", StringComparison.Ordinal))
        {
            return KeygenKey(dir, name, type) + ".pub";
        }

        using SshPrivateKey inner = SshPrivateKey.Generate(type == "sk-ed25519" ? SshKeyType.Ed25519 : SshKeyType.EcdsaP256);
        var writer = new SshWriter();
        var reader = new SshReader(inner.PublicKey.Blob.Span);
        reader.ReadString();
        writer.WriteUtf8String(type == "sk-ed25519" ? SshAlgorithmNames.SecurityKeyEd25519 : SshAlgorithmNames.SecurityKeyEcdsaP256);
        writer.WriteRaw(reader.RemainingSpan);
        writer.WriteUtf8String("ssh:");
        SshPublicKey key = SshPublicKey.Parse(writer.WrittenSpan);
        string path = dir.File(name + ".pub");
        File.WriteAllText(path, key.ToText(name) + "\n");
        return path;
    }
}
