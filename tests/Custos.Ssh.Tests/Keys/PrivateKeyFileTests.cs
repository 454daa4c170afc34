using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Keys;

/// <summary>Private key files made by ssh-keygen and openssl load; ours round-trip; encrypted ones are refused clearly.</summary>
public class PrivateKeyFileTests
{
    private static readonly byte[] Data = "challenge"u8.ToArray();

    [Theory]
    [InlineData("ed25519", null)]
    [InlineData("ecdsa", "256")]
    [InlineData("ecdsa", "384")]
    [InlineData("ecdsa", "521")]
    [InlineData("rsa", "2048")]
    [InlineData("ecdsa", "256", "PEM")]
    [InlineData("rsa", "2048", "PEM")]
    [InlineData("ecdsa", "384", "PKCS8")]
    [InlineData("rsa", "3072", "PKCS8")]
    public void A_key_made_by_ssh_keygen_loads_and_signs_for_its_public_key(string type, string? bits, string? format = null)
    {
        using var dir = new TempDirectory();
        string path = dir.File("id");
        var arguments = new List<string> { "-q", "-t", type, "-N", "", "-C", "made-by-keygen", "-f", path };
        if (bits is not null)
        {
            arguments.AddRange(["-b", bits]);
        }

        if (format is not null)
        {
            arguments.AddRange(["-m", format]);
        }

        OpenSshTools.Keygen([.. arguments]);

        using SshPrivateKey key = SshPrivateKey.Load(File.ReadAllText(path), out string comment);
        SshPublicKey expected = SshPublicKey.ParseText(File.ReadAllText(path + ".pub"));

        Assert.Equal(expected, key.PublicKey);
        Assert.True(expected.Verify(Data, key.Sign(Data)));
        Assert.Equal(format is null ? "made-by-keygen" : string.Empty, comment);
    }

    [Fact]
    public void An_Ed25519_PKCS8_key_loads()
    {
        // OpenSSH 9.2 cannot write Ed25519 PKCS#8, so libsodium's encoder (through NSec) makes the file.
        using var source = new NSec.Cryptography.Key(NSec.Cryptography.SignatureAlgorithm.Ed25519,
            new NSec.Cryptography.KeyCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport });
        string pem = System.Text.Encoding.ASCII.GetString(source.Export(NSec.Cryptography.KeyBlobFormat.PkixPrivateKeyText));

        using SshPrivateKey key = SshPrivateKey.Load(pem);

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        Assert.Equal(SshKeyType.Ed25519, key.KeyType);
        Assert.Equal(source.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey), key.PublicKey.Blob.Span[^32..].ToArray());
    }

    [Theory]
    [InlineData(SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP384)]
    [InlineData(SshKeyType.Rsa)]
    public void A_key_written_by_Custos_round_trips_with_its_comment(SshKeyType type)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(type, 2048);

        string text = key.ToOpenSshText("ops@custos");
        using SshPrivateKey loaded = SshPrivateKey.Load(text, out string comment);

        Assert.Equal(key.PublicKey, loaded.PublicKey);
        Assert.Equal("ops@custos", comment);
        Assert.True(key.PublicKey.Verify(Data, loaded.Sign(Data)));
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("PEM")]
    [InlineData("PKCS8")]
    public void A_passphrase_protected_key_is_refused_with_a_clear_message(string? format)
    {
        using var dir = new TempDirectory();
        string path = dir.File("id");
        var arguments = new List<string> { "-q", "-t", format is null ? "ed25519" : "ecdsa", "-N", "correct horse", "-f", path };
        if (format is not null)
        {
            arguments.AddRange(["-m", format]);
        }

        OpenSshTools.Keygen([.. arguments]);

        var error = Assert.Throws<SshFormatException>(() => SshPrivateKey.Load(File.ReadAllText(path)));

        Assert.Contains("passphrase", error.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_whose_public_half_does_not_match_its_private_key_is_refused()
    {
        using SshPrivateKey a = SshPrivateKey.Generate();
        using SshPrivateKey b = SshPrivateKey.Generate();
        string text = a.ToOpenSshText();
        byte[] binary = Convert.FromBase64String(string.Concat(text.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        int index = binary.AsSpan().IndexOf(a.PublicKey.Blob.Span);
        b.PublicKey.Blob.Span.CopyTo(binary.AsSpan(index));
        string forged = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Convert.ToBase64String(binary) + "\n-----END OPENSSH PRIVATE KEY-----\n";

        Assert.Throws<SshFormatException>(() => SshPrivateKey.Load(forged));
    }
}
