using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>
/// Post-quantum/classical hybrids (draft-ietf-sshm-mlkem-hybrid-kex, OpenSSH's sntrup761x25519-sha512):
/// Q_C = KEM public key || X25519 public key, Q_S = KEM ciphertext || X25519 public key,
/// K = HASH(KEM secret || X25519 secret), encoded as a string (not an mpint).
/// </summary>
internal abstract class HybridKeyExchange(SecureRandom? random, X25519Ephemeral? ephemeral) : KeyExchangeMethod
{
    private static readonly SecureRandom SharedRandom = new();
    private readonly X25519Ephemeral _ephemeral = ephemeral ?? new X25519Ephemeral();

    /// <summary>The KEM's randomness: the system CSPRNG, or a deterministic generator in known-answer tests.</summary>
    protected SecureRandom Random { get; } = random ?? SharedRandom;

    protected abstract int KemPublicKeyLength { get; }
    protected abstract int KemCiphertextLength { get; }

    /// <summary>Generates the client's KEM key pair and returns its public key.</summary>
    protected abstract byte[] GenerateKemKeyPair();

    /// <summary>Server: encapsulates to the client's KEM public key.</summary>
    protected abstract (byte[] Ciphertext, byte[] Secret) Encapsulate(byte[] kemPublic);

    /// <summary>Client: decapsulates the server's ciphertext with the key pair made earlier.</summary>
    protected abstract byte[] Decapsulate(byte[] ciphertext);

    public override byte[] CreateClientPublic() => [.. GenerateKemKeyPair(), .. _ephemeral.PublicKey];

    public override (byte[] ServerPublic, byte[] EncodedSecret) RespondToClient(ReadOnlySpan<byte> clientPublic)
    {
        if (clientPublic.Length != KemPublicKeyLength + X25519Ephemeral.PublicKeyLength)
        {
            throw Invalid($"{Name} client value must be {KemPublicKeyLength + X25519Ephemeral.PublicKeyLength} bytes");
        }
        byte[] ciphertext, kemSecret;
        try
        {
            (ciphertext, kemSecret) = Encapsulate(clientPublic[..KemPublicKeyLength].ToArray());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or CryptoException)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"Invalid {Name} public key", e);
        }
        var classical = _ephemeral.Agree(clientPublic[KemPublicKeyLength..]);
        return ([.. ciphertext, .. _ephemeral.PublicKey], Combine(kemSecret, classical));
    }

    public override byte[] CompleteWithServer(ReadOnlySpan<byte> serverPublic)
    {
        if (serverPublic.Length != KemCiphertextLength + X25519Ephemeral.PublicKeyLength)
        {
            throw Invalid($"{Name} server value must be {KemCiphertextLength + X25519Ephemeral.PublicKeyLength} bytes");
        }
        var kemSecret = Decapsulate(serverPublic[..KemCiphertextLength].ToArray());
        var classical = _ephemeral.Agree(serverPublic[KemCiphertextLength..]);
        return Combine(kemSecret, classical);
    }

    private byte[] Combine(byte[] kemSecret, byte[] classical)
    {
        var digest = Hash([.. kemSecret, .. classical]);
        CryptographicOperations.ZeroMemory(kemSecret);
        CryptographicOperations.ZeroMemory(classical);
        return EncodeString(digest);
    }

    public override void Dispose()
    {
        _ephemeral.Dispose();
        base.Dispose();
    }
}

/// <summary>mlkem768x25519-sha256 with BouncyCastle's FIPS 203 ML-KEM-768.</summary>
internal sealed class MlKem768X25519KeyExchange(SecureRandom? random = null, X25519Ephemeral? ephemeral = null) : HybridKeyExchange(random, ephemeral)
{
    private MLKemPrivateKeyParameters? _private;

    /// <summary>Known-answer tests: decapsulate with a given FIPS 203 decapsulation key instead of a generated one.</summary>
    internal void UseDecapsulationKeyForTest(byte[] encoded) => _private = MLKemPrivateKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, encoded);

    /// <summary>Known-answer tests: the generated decapsulation key in FIPS 203 encoding.</summary>
    internal byte[] EncodedPrivateKeyForTest => _private?.GetEncoded() ?? [];

    public override string Name => KeyExchangeNames.MlKem768X25519;
    public override HashAlgorithmName HashAlgorithm => HashAlgorithmName.SHA256;
    protected override int KemPublicKeyLength => 1184;
    protected override int KemCiphertextLength => 1088;

    protected override byte[] GenerateKemKeyPair()
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(Random, MLKemParameters.ml_kem_768));
        var pair = generator.GenerateKeyPair();
        _private = (MLKemPrivateKeyParameters)pair.Private;
        return ((MLKemPublicKeyParameters)pair.Public).GetEncoded();
    }

    protected override (byte[] Ciphertext, byte[] Secret) Encapsulate(byte[] kemPublic)
    {
        var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
        encapsulator.Init(new ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, kemPublic), Random));
        var ciphertext = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);
        return (ciphertext, secret);
    }

    protected override byte[] Decapsulate(byte[] ciphertext)
    {
        var decapsulator = new MLKemDecapsulator(MLKemParameters.ml_kem_768);
        decapsulator.Init(_private ?? throw new InvalidOperationException("No ML-KEM key pair"));
        var secret = new byte[decapsulator.SecretLength];
        decapsulator.Decapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);
        return secret;
    }
}

/// <summary>sntrup761x25519-sha512 (and its @openssh.com alias) with BouncyCastle's Streamlined NTRU Prime.</summary>
internal sealed class Sntrup761X25519KeyExchange(string name, SecureRandom? random = null, X25519Ephemeral? ephemeral = null) : HybridKeyExchange(random, ephemeral)
{
    private SNtruPrimePrivateKeyParameters? _private;

    /// <summary>Known-answer tests: the generated private key in the reference encoding.</summary>
    internal byte[] EncodedPrivateKeyForTest => _private?.GetEncoded() ?? [];

    public override string Name => name;
    public override HashAlgorithmName HashAlgorithm => HashAlgorithmName.SHA512;
    protected override int KemPublicKeyLength => 1158;
    protected override int KemCiphertextLength => 1039;

    protected override byte[] GenerateKemKeyPair()
    {
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(Random, SNtruPrimeParameters.sntrup761));
        var pair = generator.GenerateKeyPair();
        _private = (SNtruPrimePrivateKeyParameters)pair.Private;
        return ((SNtruPrimePublicKeyParameters)pair.Public).GetEncoded();
    }

    protected override (byte[] Ciphertext, byte[] Secret) Encapsulate(byte[] kemPublic)
    {
        var generator = new SNtruPrimeKemGenerator(Random);
        using var result = generator.GenerateEncapsulated(new SNtruPrimePublicKeyParameters(SNtruPrimeParameters.sntrup761, kemPublic));
        return (result.GetEncapsulation(), result.GetSecret());
    }

    protected override byte[] Decapsulate(byte[] ciphertext)
    {
        var extractor = new SNtruPrimeKemExtractor(_private ?? throw new InvalidOperationException("No sntrup761 key pair"));
        return extractor.ExtractSecret(ciphertext);
    }
}
