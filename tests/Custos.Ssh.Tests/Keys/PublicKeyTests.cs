using System.Security.Cryptography;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;
using Custos.Ssh.Tests.Certificates;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Keys;

public class PublicKeyTests
{
    public static TheoryData<string> AllTypes => new() { "ed25519", "ecdsa-256", "ecdsa-384", "ecdsa-521", "rsa", "sk-ed25519", "sk-ecdsa" };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Fingerprints_match_what_ssh_keygen_l_prints_in_SHA256_and_MD5(string type)
    {
        using var dir = new TempDirectory();
        string path = KeygenCertificateTests.PublicKeyFile(dir, "key", type);
        SshPublicKey key = SshPublicKey.ParseText(File.ReadAllText(path), out string comment);

        string sha256 = OpenSshTools.Keygen("-l", "-f", path).Trim();
        string md5 = OpenSshTools.Keygen("-l", "-E", "md5", "-f", path).Trim();

        Assert.Equal($"{key.KeySize} {key.GetFingerprint()} {comment} ({key.DisplayType})", sha256);
        Assert.Equal($"{key.KeySize} {key.GetFingerprint(SshFingerprintAlgorithm.Md5)} {comment} ({key.DisplayType})", md5);
    }

    [Fact]
    public void A_certificate_fingerprint_is_its_certified_key_fingerprint_as_ssh_keygen_prints_it()
    {
        using SshPrivateKey ca = SshPrivateKey.Generate();
        using SshPrivateKey user = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        SshCertificate certificate = SshCertificate.Issue(new SshCertificateFields { Key = user.PublicKey, Principals = ["a"] }, ca);
        using var dir = new TempDirectory();
        string path = dir.Write("c-cert.pub", certificate.ToText("cert") + "\n");

        Assert.Equal($"256 {certificate.GetFingerprint()} cert (ECDSA-CERT)", OpenSshTools.Keygen("-l", "-f", path).Trim());
        Assert.Equal(user.PublicKey.GetFingerprint(SshFingerprintAlgorithm.Md5), certificate.GetFingerprint(SshFingerprintAlgorithm.Md5));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void A_public_key_round_trips_through_its_wire_and_text_forms(string type)
    {
        using var dir = new TempDirectory();
        string line = File.ReadAllText(KeygenCertificateTests.PublicKeyFile(dir, "key", type)).Trim();

        SshPublicKey key = SshPublicKey.ParseText(line, out string comment);

        Assert.Equal(line, key.ToText(comment));
        Assert.Equal(key, SshPublicKey.Parse(key.Blob.Span));
    }

    [Fact]
    public void A_DSA_key_is_refused_with_a_precise_reason()
    {
        var writer = new SshWriter();
        writer.WriteUtf8String("ssh-dss");
        for (int i = 0; i < 4; i++)
        {
            writer.WriteMpint([0x42, 1, 2, 3]);
        }

        var error = Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(writer.WrittenSpan));

        Assert.Contains("DSA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_type_is_refused_by_name()
    {
        var writer = new SshWriter();
        writer.WriteUtf8String("ssh-quantum@example.com");
        writer.WriteString([1, 2, 3]);

        var error = Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(writer.WrittenSpan));

        Assert.Contains("'ssh-quantum@example.com' is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_RSA_key_shorter_than_2048_bits_is_refused()
    {
        using RSA rsa = RSA.Create(1024);
        RSAParameters parameters = rsa.ExportParameters(false);
        var writer = new SshWriter();
        writer.WriteUtf8String("ssh-rsa");
        writer.WriteMpint(parameters.Exponent);
        writer.WriteMpint(parameters.Modulus);

        var error = Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(writer.WrittenSpan));

        Assert.Contains("1024 bits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_line_whose_type_disagrees_with_its_blob_is_refused()
    {
        using SshPrivateKey key = SshPrivateKey.Generate();
        string line = key.PublicKey.ToText().Replace("ssh-ed25519", "ssh-rsa", StringComparison.Ordinal);

        Assert.Throws<SshFormatException>(() => SshPublicKey.ParseText(line));
    }

    [Fact]
    public void An_ECDSA_point_that_is_not_on_the_curve_is_refused()
    {
        using SshPrivateKey key = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        byte[] blob = key.PublicKey.Blob.ToArray();
        blob[^1] ^= 0x01;

        Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(blob));
    }
}
