using System.Security.Cryptography;
using Custos.Cli;
using Custos.Cli.Client;
using Custos.Cli.Nodes;
using Custos.Server.Api.Certificates;
using Custos.Ssh.Keys;
using Custos.Testing;

namespace Custos.Cli.Tests.Nodes;

/// <summary>The host key a node proves itself with: the .pub and its private half, which must agree.</summary>
public sealed class NodeHostKeyTests
{
    /// <summary>Writes a key pair as ssh-keygen lays it out: HOSTKEY (0600) and HOSTKEY.pub.</summary>
    public static string WriteHostKey(string directory, SshKeyType type = SshKeyType.Ed25519, string name = "ssh_host_ed25519_key")
    {
        using var key = SshPrivateKey.Generate(type);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, key.ToOpenSshText("root@node"));
        File.SetUnixFileMode(path, NodeFiles.SecretMode);
        File.WriteAllText(path + ".pub", key.PublicKey.ToText("root@node") + "\n");
        return path + ".pub";
    }

    [Theory]
    [InlineData(SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP256)]
    [InlineData(SshKeyType.Rsa)]
    public void The_proof_is_signed_with_the_host_key_and_verifies_with_the_public_key_line_sent(SshKeyType type)
    {
        using var temp = new TempDirectory();
        var pub = WriteHostKey(temp.Path, type, "ssh_host_key");
        using var key = NodeHostKey.Load(pub);
        var message = NodeProof.JoinMessage("challenge", "token", key.PublicKeyLine);
        var signature = key.Sign(message);
        var sent = SshPublicKey.ParseText(key.PublicKeyLine);
        Assert.True(sent.Verify(message, signature, out var parsed));
        if (type == SshKeyType.Rsa) Assert.Equal("rsa-sha2-512", parsed.Algorithm);
        Assert.Equal(2, key.PublicKeyLine.Split(' ').Length);
        Assert.Equal(temp.Combine("ssh_host_key"), key.PrivateKeyFile);
    }

    [Fact]
    public void A_pub_that_is_not_the_private_keys_public_half_is_refused_naming_both_files()
    {
        using var temp = new TempDirectory();
        var pub = WriteHostKey(temp.Path);
        using var other = SshPrivateKey.Generate();
        File.WriteAllText(pub, other.PublicKey.ToText("impostor") + "\n");
        var e = Assert.Throws<CliException>(() => NodeHostKey.Load(pub));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains($"{pub} ({other.PublicKey.GetFingerprint()}) is not the public half of {temp.Combine("ssh_host_ed25519_key")}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_passphrase_protected_private_key_is_refused_with_how_to_fix_it()
    {
        using var temp = new TempDirectory();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = temp.Combine("ssh_host_ecdsa_key");
        File.WriteAllText(path, ecdsa.ExportEncryptedPkcs8PrivateKeyPem("secret passphrase",
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        using (var plain = SshPrivateKey.Generate(SshKeyType.EcdsaP256)) File.WriteAllText(path + ".pub", plain.PublicKey.ToText() + "\n");
        var e = Assert.Throws<CliException>(() => NodeHostKey.Load(path + ".pub"));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.StartsWith($"--host-key: {path} is not a usable host private key: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("passphrase", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_private_key_is_refused_naming_it()
    {
        using var temp = new TempDirectory();
        var pub = WriteHostKey(temp.Path);
        File.Delete(temp.Combine("ssh_host_ed25519_key"));
        var e = Assert.Throws<CliException>(() => NodeHostKey.Load(pub));
        Assert.Contains($"cannot read the host private key {temp.Combine("ssh_host_ed25519_key")}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_key_that_is_not_a_key_is_refused_without_quoting_it()
    {
        using var temp = new TempDirectory();
        var pub = WriteHostKey(temp.Path);
        File.WriteAllText(temp.Combine("ssh_host_ed25519_key"), "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0IGJ5dGVz\n-----END OPENSSH PRIVATE KEY-----\n");
        var e = Assert.Throws<CliException>(() => NodeHostKey.Load(pub));
        Assert.Contains("is not a usable host private key", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0IGJ5dGVz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_key_option_must_name_the_pub_file()
    {
        using var temp = new TempDirectory();
        WriteHostKey(temp.Path);
        var e = Assert.Throws<CliException>(() => NodeHostKey.Load(temp.Combine("ssh_host_ed25519_key")));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("is not a public key file (.pub)", e.Message, StringComparison.Ordinal);
    }
}
