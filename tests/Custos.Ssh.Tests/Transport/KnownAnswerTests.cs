using System.Security.Cryptography;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Tests.Transport;

/// <summary>
/// Known answers for the cipher and key exchange constructions. The cipher and key derivation vectors were
/// computed independently from the specifications with Python's 'cryptography' and 'hashlib' (see docs/ssh-protocol.md);
/// X25519 uses RFC 7748 §6.1.
/// </summary>
public class KnownAnswerTests
{
    private static readonly byte[] Plain = Convert.FromHexString("000000100405636861636861204b415400000000");

    [Fact]
    public void Chacha20_poly1305_openssh_matches_the_PROTOCOL_construction()
    {
        using var cipher = new ChaCha20Poly1305Cipher([.. Enumerable.Range(1, 64).Select(i => (byte)i)]);
        var packet = (byte[])Plain.Clone();
        var tag = new byte[16];

        cipher.Seal(7, packet, tag);

        Assert.Equal("0a6c9e113fba49299b3fdfd3f70130433ea9d9a33972787da64965959013918d1b1ffdeb", Convert.ToHexStringLower([.. packet, .. tag]));
        Assert.Equal(16u, cipher.ReadLength(7, packet));
        cipher.Open(7, packet, tag);
        Assert.Equal(Plain, packet);
    }

    [Fact]
    public void Aes_gcm_uses_the_length_as_aad_and_increments_the_invocation_counter()
    {
        byte[] key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        byte[] iv = [.. Enumerable.Range(100, 12).Select(i => (byte)i)];
        using var cipher = new AesGcmCipher(key, iv);
        var first = (byte[])Plain.Clone();
        var second = (byte[])Plain.Clone();
        var tag1 = new byte[16];
        var tag2 = new byte[16];

        cipher.Seal(0, first, tag1);
        cipher.Seal(1, second, tag2);

        Assert.Equal("00000010645a1024f0e1d418d81ceecc182cf83cf298db37648c750fe4401d7831b94874", Convert.ToHexStringLower([.. first, .. tag1]));
        Assert.Equal("0000001010b3688e6a1f5e62fec71274319e2e8fd9a712c653e4feb6264b6212a62ea4c0", Convert.ToHexStringLower([.. second, .. tag2]));
    }

    [Fact]
    public void A_flipped_bit_fails_authentication_with_MAC_error_for_every_cipher()
    {
        byte[] key = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];
        byte[] iv = new byte[16];
        PacketCipher[] senders = [new ChaCha20Poly1305Cipher(key), new AesGcmCipher(key.AsSpan(0, 32), iv), new AesCtrHmacEtmCipher(key.AsSpan(0, 32), iv, key.AsSpan(32))];
        PacketCipher[] receivers = [new ChaCha20Poly1305Cipher(key), new AesGcmCipher(key.AsSpan(0, 32), iv), new AesCtrHmacEtmCipher(key.AsSpan(0, 32), iv, key.AsSpan(32))];
        for (var i = 0; i < senders.Length; i++)
        {
            var packet = new byte[4 + 32];
            packet[3] = 32;
            var tag = new byte[senders[i].TagLength];
            senders[i].Seal(3, packet, tag);
            packet[10] ^= 1;
            var error = Assert.Throws<SshProtocolException>(() => receivers[i].Open(3, packet, tag));
            Assert.Equal(DisconnectReason.MacError, error.Reason);
        }
    }

    [Fact]
    public void Key_derivation_follows_RFC_4253_section_7_2()
    {
        using var method = KeyExchangeMethod.Create(KeyExchangeNames.Curve25519Sha256);
        byte[] secret = [0, 0, 0, 0x20, .. Enumerable.Range(0, 32).Select(i => (byte)i)];
        var hash = SHA256.HashData("exchange hash"u8);
        var sessionId = SHA256.HashData("session"u8);

        var key = KeyDerivation.Derive(method, secret, hash, 'C', sessionId, 64);

        Assert.Equal("fc0ef14097b45229737f39780f299e75c23bc3bca2d46eb681b2e0375823697085716873faeca9f5e4f5bb6b474bf6f3d5e5eed6930f00b918f29553b08d1512", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Curve25519_shared_secret_matches_RFC_7748_and_is_encoded_as_an_mpint()
    {
        var alice = new X25519Ephemeral(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using var exchange = new Curve25519KeyExchange(KeyExchangeNames.Curve25519Sha256, alice);

        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(exchange.CreateClientPublic()));
        var secret = exchange.CompleteWithServer(Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));

        Assert.Equal("000000204a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Convert.ToHexStringLower(secret));
    }

    [Fact]
    public void An_all_zero_X25519_result_is_refused()
    {
        using var exchange = KeyExchangeMethod.Create(KeyExchangeNames.Curve25519Sha256);
        exchange.CreateClientPublic();

        var error = Assert.Throws<SshProtocolException>(() => exchange.CompleteWithServer(new byte[32]));
        Assert.Equal(DisconnectReason.KeyExchangeFailed, error.Reason);
    }

    [Theory]
    [InlineData(KeyExchangeNames.MlKem768X25519, 1184 + 32, 1088 + 32, 32)]
    [InlineData(KeyExchangeNames.Sntrup761X25519, 1158 + 32, 1039 + 32, 64)]
    [InlineData(KeyExchangeNames.EcdhNistP256, 65, 65, 0)]
    public void Both_sides_of_each_key_exchange_agree_and_values_have_the_specified_sizes(string name, int clientLength, int serverLength, int hybridSecretLength)
    {
        using var client = KeyExchangeMethod.Create(name);
        using var server = KeyExchangeMethod.Create(name);

        var clientPublic = client.CreateClientPublic();
        var (serverPublic, serverSecret) = server.RespondToClient(clientPublic);
        var clientSecret = client.CompleteWithServer(serverPublic);

        Assert.Equal(clientLength, clientPublic.Length);
        Assert.Equal(serverLength, serverPublic.Length);
        Assert.Equal(serverSecret, clientSecret);
        if (hybridSecretLength > 0)
        {
            // Hybrid K is a string of HASH(kem secret || x25519 secret), not an mpint.
            Assert.Equal(4 + hybridSecretLength, clientSecret.Length);
            Assert.Equal(hybridSecretLength, clientSecret[3]);
        }
        var wrong = (byte[])clientPublic.Clone();
        Assert.Throws<SshProtocolException>(() => server.RespondToClient(wrong.AsSpan(1)));
    }
}

/// <summary>Our Poly1305 against RFC 8439 and against BouncyCastle's independent implementation.</summary>
public class Poly1305Tests
{
    [Fact]
    public void Poly1305_matches_RFC_8439_section_2_5_2()
    {
        var key = Convert.FromHexString("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        var tag = new byte[16];

        Poly1305.Compute(key, "Cryptographic Forum Research Group"u8, tag);

        Assert.Equal("a8061dc1305136c6c22b8baf0c0127a9", Convert.ToHexStringLower(tag));
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public void Poly1305_agrees_with_BouncyCastle(byte[] message, byte[] keySeed)
    {
        var key = new byte[32];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = keySeed.Length == 0 ? (byte)i : keySeed[i % keySeed.Length];
        }
        var ours = new byte[16];
        Poly1305.Compute(key, message, ours);
        var reference = new Org.BouncyCastle.Crypto.Macs.Poly1305();
        reference.Init(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
        reference.BlockUpdate(message, 0, message.Length);
        var expected = new byte[16];
        reference.DoFinal(expected, 0);

        Assert.Equal(expected, ours);
    }
}
