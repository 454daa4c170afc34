using BenchmarkDotNet.Attributes;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Benchmarks.Certificates;

/// <summary>
/// Certificate issuance and validation per CA algorithm, for a typical user certificate (two principals,
/// source-address, five extensions). Compare with <see cref="Signatures.SignatureBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class CertificateBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private SshPrivateKey _ca = null!;
    private SshPrivateKey _user = null!;
    private SshCertificateFields _fields = null!;
    private SshCertificate _certificate = null!;
    private byte[] _blob = null!;
    private SshCertificateValidator _validator = null!;

    [Params(SshKeyType.Ed25519, SshKeyType.EcdsaP256, SshKeyType.EcdsaP384, SshKeyType.Rsa)]
    public SshKeyType Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ca = SshPrivateKey.Generate(Algorithm, 3072);
        _user = SshPrivateKey.Generate();
        _fields = new SshCertificateFields
        {
            Key = _user.PublicKey,
            Serial = 42,
            KeyId = "alice@example.com grant 1234",
            Principals = ["alice", "deploy"],
            ValidAfter = Now.AddMinutes(-5),
            ValidBefore = Now.AddHours(8),
            CriticalOptions = [new(SshCertificateOptionNames.SourceAddress, "10.0.0.0/8")],
            Extensions = [.. SshCertificateOptionNames.DefaultUserExtensions.Select(name => new SshCertificateOption(name))],
        };
        _certificate = SshCertificate.Issue(_fields, _ca);
        _blob = _certificate.Blob.ToArray();
        _validator = new SshCertificateValidator([_ca.PublicKey], new FixedTime(Now));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ca.Dispose();
        _user.Dispose();
    }

    [Benchmark]
    public SshCertificate Issue() => SshCertificate.Issue(_fields, _ca);

    [Benchmark]
    public bool Validate() => _validator.Validate(_certificate, SshCertificateType.User, "alice", ClientAddress).IsValid;

    [Benchmark]
    public bool ParseAndValidate() => _validator.Validate(SshCertificate.Parse(_blob), SshCertificateType.User, "alice", ClientAddress).IsValid;

    private static readonly System.Net.IPAddress ClientAddress = System.Net.IPAddress.Parse("10.1.2.3");

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
