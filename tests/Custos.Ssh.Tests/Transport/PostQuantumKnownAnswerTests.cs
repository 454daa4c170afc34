using System.Security.Cryptography;
using Custos.Ssh.Transport.KeyExchange;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;
using static Custos.Ssh.Tests.Transport.PostQuantumVectors;

namespace Custos.Ssh.Tests.Transport;

/// <summary>
/// Known answers for ML-KEM-768 and sntrup761 through our BouncyCastle wrappers (the classes the hybrid key
/// exchanges use), and for the hybrid shared secrets K. Vectors and their provenance: <see cref="PostQuantumVectors"/>.
/// The X25519 halves use the RFC 7748 §6.1 key pairs (client = Alice, server = Bob).
/// </summary>
public class PostQuantumKnownAnswerTests
{
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static X25519Ephemeral Alice() => new(Hex(AlicePrivate));

    private static X25519Ephemeral Bob() => new(Hex(BobPrivate));

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    [Fact]
    public void ML_KEM_768_key_generation_from_d_and_z_matches_ACVP()
    {
        // FIPS 203 ML-KEM.KeyGen draws d then z (32 bytes each); the fixed generator hands out exactly d || z.
        var random = FixedRandom.Of(Hex(MlKemKeyGenD + MlKemKeyGenZ));
        using var client = new MlKem768X25519KeyExchange(random, Alice());

        var clientPublic = client.CreateClientPublic();

        Assert.Equal(MlKemKeyGenEk + AlicePublic, Convert.ToHexStringLower(clientPublic));
        Assert.Equal(MlKemKeyGenDkSha256, Sha256(client.EncodedPrivateKeyForTest));
        Assert.True(random.Exhausted);
    }

    [Fact]
    public void ML_KEM_768_encapsulation_and_the_hybrid_secret_match_ACVP_and_the_draft()
    {
        // ML-KEM.Encaps draws the 32-byte message m; K = string(SHA-256(k || X25519 k)).
        using var server = new MlKem768X25519KeyExchange(FixedRandom.Of(Hex(MlKemEncapM)), Bob());

        var (serverPublic, secret) = server.RespondToClient(Hex(MlKemEncapEk + AlicePublic));

        Assert.Equal(MlKemEncapC + BobPublic, Convert.ToHexStringLower(serverPublic));
        Assert.Equal(MlKemHybridServerSecret, Convert.ToHexStringLower(secret));
        Assert.Equal(MlKemHybridServerSecret[8..], Convert.ToHexStringLower(SHA256.HashData([.. Hex(MlKemEncapK), .. Hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")])));
    }

    [Fact]
    public void ML_KEM_768_decapsulation_and_the_hybrid_secret_match_ACVP()
    {
        using var client = new MlKem768X25519KeyExchange(FixedRandom.Of([]), Alice());
        client.UseDecapsulationKeyForTest(Hex(MlKemDecapDk));

        var secret = client.CompleteWithServer(Hex(MlKemDecapC + BobPublic));

        Assert.Equal(MlKemHybridClientSecret, Convert.ToHexStringLower(secret));
    }

    [Fact]
    public void Sntrup761_key_generation_encapsulation_and_the_hybrid_secret_match_the_reference_KAT()
    {
        // The reference KAT draws key generation and then encapsulation from one NIST KAT DRBG seeded with the seed.
        var random = new SecureRandom(new NistKatDrbg(Hex(SntrupSeed)));
        using var client = new Sntrup761X25519KeyExchange(KeyExchangeNames.Sntrup761X25519, random, Alice());
        using var server = new Sntrup761X25519KeyExchange(KeyExchangeNames.Sntrup761X25519, random, Bob());

        var clientPublic = client.CreateClientPublic();
        var (serverPublic, serverSecret) = server.RespondToClient(clientPublic);
        var clientSecret = client.CompleteWithServer(serverPublic);

        Assert.Equal(SntrupPk + AlicePublic, Convert.ToHexStringLower(clientPublic));
        Assert.Equal(SntrupSkSha256, Sha256(client.EncodedPrivateKeyForTest));
        Assert.Equal(SntrupCt + BobPublic, Convert.ToHexStringLower(serverPublic));
        Assert.Equal(SntrupHybridSecret, Convert.ToHexStringLower(serverSecret));
        Assert.Equal(SntrupHybridSecret, Convert.ToHexStringLower(clientSecret));
    }

    [Fact]
    public void The_NIST_KAT_DRBG_reproduces_the_first_seed_of_the_KAT_generator()
    {
        // PQCgenKAT_kem.c seeds the DRBG with entropy 00 01 .. 2f and draws the 48-byte seed of count 0 from it.
        var drbg = new NistKatDrbg([.. Enumerable.Range(0, 48).Select(i => (byte)i)]);
        var seed = new byte[48];

        drbg.NextBytes(seed);

        Assert.Equal(SntrupSeed, Convert.ToHexStringLower(seed));
    }
}

/// <summary>Hands out fixed bytes in order, whatever the chunking of the requests; fails when asked for more.</summary>
internal sealed class FixedRandom(byte[] bytes) : IRandomGenerator
{
    private int _position;

    public bool Exhausted => _position == bytes.Length;

    public static SecureRandomWithState Of(byte[] bytes) => new(new FixedRandom(bytes));

    public void AddSeedMaterial(byte[] seed)
    {
    }

    public void AddSeedMaterial(ReadOnlySpan<byte> seed)
    {
    }

    public void AddSeedMaterial(long seed)
    {
    }

    public void NextBytes(byte[] bytes) => NextBytes(bytes.AsSpan());

    public void NextBytes(byte[] bytes, int start, int len) => NextBytes(bytes.AsSpan(start, len));

    public void NextBytes(Span<byte> output)
    {
        Assert.True(_position + output.Length <= bytes.Length, $"The code under test drew {output.Length} more random bytes than the vector provides");
        bytes.AsSpan(_position, output.Length).CopyTo(output);
        _position += output.Length;
    }
}

/// <summary>A <see cref="SecureRandom"/> over a <see cref="FixedRandom"/>, exposing whether every byte was used.</summary>
internal sealed class SecureRandomWithState(FixedRandom fixedBytes) : SecureRandom(fixedBytes)
{
    public bool Exhausted => fixedBytes.Exhausted;
}

/// <summary>
/// The deterministic generator of the NIST PQC known-answer tests (randombytes of NIST's rng.c): AES-256
/// CTR_DRBG of SP 800-90A §10.2 without derivation function, seeded with 48 bytes of entropy. Every
/// request is served from the counter blocks and followed by an update of key and counter, so outputs
/// depend on how the caller splits its requests, exactly as in the reference KAT generator.
/// Written here from the SP 800-90A description.
/// </summary>
internal sealed class NistKatDrbg : IRandomGenerator
{
    private readonly byte[] _key = new byte[32];
    private readonly byte[] _v = new byte[16];

    public NistKatDrbg(byte[] entropy)
    {
        Assert.Equal(48, entropy.Length);
        Update(entropy);
    }

    public void AddSeedMaterial(byte[] seed)
    {
    }

    public void AddSeedMaterial(ReadOnlySpan<byte> seed)
    {
    }

    public void AddSeedMaterial(long seed)
    {
    }

    public void NextBytes(byte[] bytes) => NextBytes(bytes.AsSpan());

    public void NextBytes(byte[] bytes, int start, int len) => NextBytes(bytes.AsSpan(start, len));

    public void NextBytes(Span<byte> output)
    {
        var block = new byte[16];
        while (!output.IsEmpty)
        {
            Increment();
            Encrypt(_v, block);
            var take = Math.Min(16, output.Length);
            block.AsSpan(0, take).CopyTo(output);
            output = output[take..];
        }
        Update(null);
    }

    /// <summary>SP 800-90A CTR_DRBG_Update: three counter blocks, XORed with the provided data, become key and V.</summary>
    private void Update(byte[]? provided)
    {
        var temp = new byte[48];
        for (var i = 0; i < 3; i++)
        {
            Increment();
            Encrypt(_v, temp.AsSpan(16 * i, 16));
        }
        if (provided is not null)
        {
            for (var i = 0; i < temp.Length; i++)
            {
                temp[i] ^= provided[i];
            }
        }
        temp.AsSpan(0, 32).CopyTo(_key);
        temp.AsSpan(32, 16).CopyTo(_v);
    }

    private void Increment()
    {
        for (var i = _v.Length - 1; i >= 0; i--)
        {
            if (++_v[i] != 0)
            {
                break;
            }
        }
    }

    private void Encrypt(byte[] input, Span<byte> output)
    {
        using var aes = Aes.Create();
        aes.Key = _key;
        aes.EncryptEcb(input, output, PaddingMode.None);
    }
}
