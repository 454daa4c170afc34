using BenchmarkDotNet.Attributes;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using NSec.Cryptography;

namespace Custos.Ssh.Benchmarks.Certificates;

/// <summary>
/// The issue's target in one table: Ed25519 certificate issuance against the raw libsodium signature of a
/// message of the same size (the bytes a CA signs), with the raw signature as the baseline so
/// BenchmarkDotNet prints the ratio. Issuance at ≥ 80% of the raw rate means a ratio ≤ 1.25.
/// </summary>
[MemoryDiagnoser]
public class Ed25519IssuanceRatioBenchmarks
{
    private Key _rawKey = null!;
    private byte[] _signedBytes = null!;
    private readonly byte[] _signature = new byte[64];
    private SshPrivateKey _ca = null!;
    private SshPrivateKey _user = null!;
    private SshCertificateFields _fields = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = SshPrivateKey.Generate();
        _user = SshPrivateKey.Generate();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        _fields = new SshCertificateFields
        {
            Key = _user.PublicKey,
            Serial = 42,
            KeyId = "alice@example.com grant 1234",
            Principals = ["alice", "deploy"],
            ValidAfter = now.AddMinutes(-5),
            ValidBefore = now.AddHours(8),
            CriticalOptions = [new(SshCertificateOptionNames.SourceAddress, "10.0.0.0/8")],
            Extensions = [.. SshCertificateOptionNames.DefaultUserExtensions.Select(name => new SshCertificateOption(name))],
        };
        _signedBytes = SshCertificate.Issue(_fields, _ca).SignedData.ToArray();
        _rawKey = new Key(SignatureAlgorithm.Ed25519);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawKey.Dispose();
        _ca.Dispose();
        _user.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void RawEd25519Signature() => SignatureAlgorithm.Ed25519.Sign(_rawKey, _signedBytes, _signature);

    /// <summary>The CA key's own <see cref="SshPrivateKey.Sign"/> on the same bytes (primitive plus SSH blob).</summary>
    [Benchmark]
    public byte[] CustosEd25519Signature() => _ca.Sign(_signedBytes);

    [Benchmark]
    public SshCertificate IssueEd25519Certificate() => SshCertificate.Issue(_fields, _ca);
}
