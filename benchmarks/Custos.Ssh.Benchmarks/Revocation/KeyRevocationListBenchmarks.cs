using BenchmarkDotNet.Attributes;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;

namespace Custos.Ssh.Benchmarks.Revocation;

/// <summary>
/// "Is this revoked?" against a realistic KRL: 10,000 revoked serials (lists, ranges, bitmaps), 1,000 key
/// IDs, 1,000 SHA-256 hashes and 100 explicit keys. Certificates are parsed once, as sshd does per login.
/// </summary>
[MemoryDiagnoser]
public class KeyRevocationListBenchmarks
{
    private KeyRevocationList _krl = null!;
    private SshCertificate _valid = null!;
    private SshCertificate _revokedBySerial = null!;
    private SshPublicKey _plainKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        using SshPrivateKey ca = SshPrivateKey.Generate();
        using SshPrivateKey user = SshPrivateKey.Generate();
        var builder = new KeyRevocationListBuilder { Version = 1 };
        var random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            builder.RevokeSerial(ca.PublicKey, (ulong)random.Next(1, 1_000_000));
        }

        builder.RevokeSerials(ca.PublicKey, 2_000_000, 2_100_000);
        for (int i = 0; i < 1_000; i++)
        {
            builder.RevokeKeyId(ca.PublicKey, $"revoked-{i}");
            byte[] hash = new byte[32];
            random.NextBytes(hash);
            builder.RevokeKeySha256(hash);
        }

        for (int i = 0; i < 100; i++)
        {
            using SshPrivateKey key = SshPrivateKey.Generate();
            builder.RevokeKey(key.PublicKey);
        }

        _krl = KeyRevocationList.Parse(builder.Build(TimeProvider.System).Encode());
        _valid = Issue(ca, user, 3_000_000);
        _revokedBySerial = Issue(ca, user, 2_050_000);
        _plainKey = user.PublicKey;
        if (_krl.IsRevoked(_valid) || !_krl.IsRevoked(_revokedBySerial))
        {
            throw new InvalidOperationException("Benchmark KRL does not answer as expected.");
        }
    }

    private static SshCertificate Issue(SshPrivateKey ca, SshPrivateKey user, ulong serial) =>
        SshCertificate.Issue(new SshCertificateFields { Key = user.PublicKey, Serial = serial, KeyId = "alice", Principals = ["alice"] }, ca);

    /// <summary>The full path: every check runs and none matches.</summary>
    [Benchmark]
    public bool ValidCertificate() => _krl.IsRevoked(_valid);

    [Benchmark]
    public bool CertificateRevokedBySerial() => _krl.IsRevoked(_revokedBySerial);

    [Benchmark]
    public bool PlainKey() => _krl.IsRevoked(_plainKey);
}
