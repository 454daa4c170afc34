using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Signatures;

public class SignatureTests
{
    private static readonly byte[] Data = "exchange hash"u8.ToArray();

    [Theory]
    [InlineData("rsa-sha2-256")]
    [InlineData("rsa-sha2-512")]
    public void An_RSA_key_signs_and_verifies_with_the_SHA2_algorithms(string algorithm)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(SshKeyType.Rsa, 2048);

        byte[] blob = key.Sign(Data, algorithm);

        Assert.Equal(algorithm, SshSignature.Parse(blob).Algorithm);
        Assert.True(key.PublicKey.Verify(Data, blob));
    }

    [Fact]
    public void An_RSA_key_refuses_to_sign_or_verify_SHA1_ssh_rsa()
    {
        using SshPrivateKey key = SshPrivateKey.Generate(SshKeyType.Rsa, 2048);
        byte[] sha256 = key.Sign(Data, "rsa-sha2-256");
        byte[] relabelled = new SshSignature("ssh-rsa", SshSignature.Parse(sha256).Signature).Encode();

        Assert.Throws<ArgumentException>(() => key.Sign(Data, "ssh-rsa"));
        Assert.False(key.PublicKey.Verify(Data, relabelled));
    }

    [Fact]
    public void An_ECDSA_signature_is_two_minimal_mpints()
    {
        using SshPrivateKey key = SshPrivateKey.Generate(SshKeyType.EcdsaP521);
        SshSignature signature = SshSignature.Parse(key.Sign(Data));
        var reader = new SshReader(signature.Signature.Span);

        Assert.InRange(reader.ReadMpint().Length, 1, 66);
        Assert.InRange(reader.ReadMpint().Length, 1, 66);
        Assert.True(reader.IsEmpty);
    }

    [Fact]
    public void A_signature_for_another_algorithm_or_key_does_not_verify()
    {
        using SshPrivateKey ed = SshPrivateKey.Generate();
        using SshPrivateKey other = SshPrivateKey.Generate();
        using SshPrivateKey ecdsa = SshPrivateKey.Generate(SshKeyType.EcdsaP256);

        Assert.False(ed.PublicKey.Verify(Data, other.Sign(Data)));
        Assert.False(ed.PublicKey.Verify(Data, ecdsa.Sign(Data)));
        Assert.False(ecdsa.PublicKey.Verify(Data, ed.Sign(Data)));
        Assert.False(ed.PublicKey.Verify(Data, [1, 2, 3]));
    }

    [Theory]
    [InlineData(SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP256)]
    public void A_security_key_signature_verifies_over_application_flags_counter_and_message(SshKeyType innerType)
    {
        using SshPrivateKey authenticator = SshPrivateKey.Generate(innerType);
        SshPublicKey key = SecurityKey(authenticator, "ssh:");
        byte[] present = SecurityKeySignature(authenticator, key.Algorithm, "ssh:", flags: 0x05, counter: 41);
        byte[] absent = SecurityKeySignature(authenticator, key.Algorithm, "ssh:", flags: 0x00, counter: 42);
        byte[] otherApplication = SecurityKeySignature(authenticator, key.Algorithm, "ssh:other", flags: 0x01, counter: 43);
        byte[] tamperedCounter = SecurityKeySignature(authenticator, key.Algorithm, "ssh:", flags: 0x01, counter: 44);
        tamperedCounter[^1] ^= 1;

        Assert.True(key.Verify(Data, present, out SshSignature? signature));
        Assert.Equal(41u, signature.SecurityKeyCounter);
        Assert.True(signature.UserPresent && signature.UserVerified);
        Assert.True(key.Verify(Data, present));
        Assert.True(key.Verify(Data, absent, out _));
        Assert.False(key.Verify(Data, absent));
        Assert.False(key.Verify(Data, otherApplication));
        Assert.False(key.Verify(Data, tamperedCounter));
    }

    /// <summary>An sk-* public key wrapping an ordinary key, standing in for an authenticator's key.</summary>
    private static SshPublicKey SecurityKey(SshPrivateKey inner, string application)
    {
        var reader = new SshReader(inner.PublicKey.Blob.Span);
        reader.ReadString();
        var writer = new SshWriter();
        writer.WriteUtf8String(inner.KeyType == SshKeyType.Ed25519 ? SshAlgorithmNames.SecurityKeyEd25519 : SshAlgorithmNames.SecurityKeyEcdsaP256);
        writer.WriteRaw(reader.RemainingSpan);
        writer.WriteUtf8String(application);
        return SshPublicKey.Parse(writer.WrittenSpan);
    }

    /// <summary>Signs as a FIDO authenticator does (PROTOCOL.u2f): over SHA256(app) || flags || counter || SHA256(message).</summary>
    private static byte[] SecurityKeySignature(SshPrivateKey inner, string algorithm, string application, byte flags, uint counter)
    {
        byte[] signed = new byte[69];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(application), signed.AsSpan(0, 32));
        signed[32] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(signed.AsSpan(33), counter);
        System.Security.Cryptography.SHA256.HashData(Data, signed.AsSpan(37));
        SshSignature raw = SshSignature.Parse(inner.Sign(signed));
        return new SshSignature(algorithm, raw.Signature, flags, counter).Encode();
    }
}
