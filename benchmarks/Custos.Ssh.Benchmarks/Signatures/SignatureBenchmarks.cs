using BenchmarkDotNet.Attributes;
using Custos.Ssh.Keys;
using NSec.Cryptography;

namespace Custos.Ssh.Benchmarks.Signatures;

/// <summary>
/// The raw signature rate of each primitive, on a message the size of a certificate's signed part
/// (about 300 bytes): the baseline that certificate issuance is compared with.
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private readonly byte[] _message = new byte[320];
    private SshPrivateKey _key = null!;
    private byte[] _signature = null!;
    private Key _nsecKey = null!;
    private readonly byte[] _nsecSignature = new byte[64];

    [Params(SshKeyType.Ed25519, SshKeyType.EcdsaP256, SshKeyType.EcdsaP384, SshKeyType.Rsa)]
    public SshKeyType Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_message);
        _key = SshPrivateKey.Generate(Algorithm, 3072);
        _signature = _key.Sign(_message);
        _nsecKey = new Key(SignatureAlgorithm.Ed25519);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _nsecKey.Dispose();
    }

    /// <summary>The primitive alone through NSec/libsodium (Ed25519 only; other rows show the Ed25519 figure too).</summary>
    [Benchmark]
    public void PrimitiveEd25519Sign() => SignatureAlgorithm.Ed25519.Sign(_nsecKey, _message, _nsecSignature);

    /// <summary>Sign through Custos: primitive plus the SSH signature blob.</summary>
    [Benchmark]
    public byte[] Sign() => _key.Sign(_message);

    [Benchmark]
    public bool Verify() => _key.PublicKey.Verify(_message, _signature);
}
