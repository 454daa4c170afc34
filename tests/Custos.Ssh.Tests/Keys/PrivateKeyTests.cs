using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Keys;

public class PrivateKeyTests
{
    public static TheoryData<SshKeyType> GeneratedTypes => new() { SshKeyType.Ed25519, SshKeyType.EcdsaP256, SshKeyType.EcdsaP384, SshKeyType.EcdsaP521, SshKeyType.Rsa };

    [Theory]
    [MemberData(nameof(GeneratedTypes))]
    public void A_generated_key_signs_and_its_public_key_verifies(SshKeyType type)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(type, 2048);
        byte[] data = "session identifier"u8.ToArray();

        byte[] signature = key.Sign(data);

        Assert.True(key.PublicKey.Verify(data, signature));
        Assert.False(key.PublicKey.Verify("other data"u8, signature));
    }

    [Theory]
    [MemberData(nameof(GeneratedTypes))]
    public void A_key_written_by_Custos_is_accepted_by_ssh_keygen(SshKeyType type)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(type, 2048);
        using var dir = new TempDirectory();
        string path = dir.Write("id", key.ToOpenSshText("custos@test"));

        string publicText = OpenSshTools.Keygen("-y", "-f", path);

        Assert.Equal(key.PublicKey, SshPublicKey.ParseText(publicText));
    }
}
