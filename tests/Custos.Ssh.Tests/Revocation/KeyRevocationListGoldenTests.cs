using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;

namespace Custos.Ssh.Tests.Revocation;

/// <summary>Our KRLs and <c>ssh-keygen</c>'s KRLs, judged by both our lookup and <c>ssh-keygen -Q</c>.</summary>
public sealed class KeyRevocationListGoldenTests : IDisposable
{
    private readonly SshPrivateKey _ca = SshPrivateKey.Generate();
    private readonly SshPrivateKey _otherCa = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
    private readonly SshPrivateKey _revokedCa = SshPrivateKey.Generate();
    private readonly SshPrivateKey _subject = SshPrivateKey.Generate();
    private readonly SshPrivateKey _explicitKey = SshPrivateKey.Generate(SshKeyType.EcdsaP384);
    private readonly SshPrivateKey _sha256Key = SshPrivateKey.Generate();
    private readonly SshPrivateKey _sha1Key = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
    private readonly SshPrivateKey _innocentKey = SshPrivateKey.Generate();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        foreach (SshPrivateKey key in new[] { _ca, _otherCa, _revokedCa, _subject, _explicitKey, _sha256Key, _sha1Key, _innocentKey })
        {
            key.Dispose();
        }

        _dir.Dispose();
    }

    private SshCertificate Certificate(ulong serial, string keyId = "user", SshPrivateKey? ca = null, SshPrivateKey? subject = null) =>
        SshCertificate.Issue(new SshCertificateFields { Key = (subject ?? _subject).PublicKey, Serial = serial, KeyId = keyId, Principals = ["alice"] }, ca ?? _ca);

    /// <summary>Keys and certificates to ask about, named for the failure message.</summary>
    private Dictionary<string, SshPublicKey> Probes() => new()
    {
        ["serial-5"] = Certificate(5),
        ["serial-6"] = Certificate(6),
        ["range-100"] = Certificate(100),
        ["range-110"] = Certificate(110),
        ["range-111"] = Certificate(111),
        ["bitmap-1000"] = Certificate(1000),
        ["bitmap-1002"] = Certificate(1002),
        ["bitmap-1040"] = Certificate(1040),
        ["bitmap-1001"] = Certificate(1001),
        ["serial-0-keyid-user"] = Certificate(0),
        ["keyid-compromised"] = Certificate(77, "compromised"),
        ["other-ca-serial-5"] = Certificate(5, ca: _otherCa),
        ["other-ca-keyid-compromised"] = Certificate(78, "compromised", _otherCa),
        ["revoked-ca-cert"] = Certificate(9, ca: _revokedCa),
        ["explicit-key"] = _explicitKey.PublicKey,
        ["explicit-key-cert"] = Certificate(12, subject: _explicitKey),
        ["sha256-key"] = _sha256Key.PublicKey,
        ["sha256-key-cert"] = Certificate(13, subject: _sha256Key),
        ["sha1-key"] = _sha1Key.PublicKey,
        ["innocent-key"] = _innocentKey.PublicKey,
        ["innocent-cert"] = Certificate(14, subject: _innocentKey),
    };

    [Fact]
    public void Ssh_keygen_Q_agrees_with_our_answer_for_every_key_and_certificate_in_our_KRL()
    {
        KeyRevocationList krl = new KeyRevocationListBuilder { Version = 3, Comment = "custos test" }
            .RevokeSerial(_ca.PublicKey, 5)
            .RevokeSerials(_ca.PublicKey, 100, 110)
            .RevokeSerial(_ca.PublicKey, 1000).RevokeSerial(_ca.PublicKey, 1002).RevokeSerial(_ca.PublicKey, 1010).RevokeSerial(_ca.PublicKey, 1040)
            .RevokeKeyId(_ca.PublicKey, "compromised")
            .RevokeKeyId(null, "nobody-uses-this")
            .RevokeKey(_explicitKey.PublicKey)
            .RevokeKey(_revokedCa.PublicKey)
            .RevokeKeySha256(_sha256Key.PublicKey)
            .RevokeKeySha1(_sha1Key.PublicKey)
            .Build(TimeProvider.System);
        byte[] encoded = krl.Encode();
        string path = _dir.File("custos.krl");
        File.WriteAllBytes(path, encoded);

        Dictionary<string, bool> keygen = QueryKeygen(path, Probes());
        KeyRevocationList parsed = KeyRevocationList.Parse(encoded);

        Assert.All(Probes(), probe => Assert.True(keygen[probe.Key] == krl.IsRevoked(probe.Value), $"{probe.Key}: ssh-keygen says revoked={keygen[probe.Key]}"));
        Assert.All(Probes(), probe => Assert.Equal(krl.IsRevoked(probe.Value), parsed.IsRevoked(probe.Value)));
        Assert.True(keygen["bitmap-1040"] && keygen["range-110"] && keygen["explicit-key-cert"] && keygen["revoked-ca-cert"]);
        Assert.False(keygen["bitmap-1001"] || keygen["range-111"] || keygen["innocent-cert"] || keygen["other-ca-serial-5"]);
    }

    [Fact]
    public void Our_KRL_encoding_uses_list_range_and_bitmap_sections_and_round_trips_exactly()
    {
        KeyRevocationList krl = new KeyRevocationListBuilder { Version = 9 }
            .RevokeSerial(_ca.PublicKey, 5)
            .RevokeSerials(_ca.PublicKey, 100, 200)
            .RevokeSerial(_ca.PublicKey, 1000).RevokeSerial(_ca.PublicKey, 1003).RevokeSerial(_ca.PublicKey, 1007).RevokeSerial(_ca.PublicKey, 1060)
            .RevokeKeyId(null, "any-ca")
            .RevokeKeySha256(_sha256Key.PublicKey)
            .Build(TimeProvider.System);

        byte[] encoded = krl.Encode();
        KeyRevocationList parsed = KeyRevocationList.Parse(encoded);

        Assert.Equal(encoded, parsed.Encode());
        Assert.Equal(9UL, parsed.Version);
        Assert.Contains((byte)0x20, SubsectionTypes(encoded));
        Assert.Contains((byte)0x21, SubsectionTypes(encoded));
        Assert.Contains((byte)0x22, SubsectionTypes(encoded));
        Assert.True(parsed.IsRevoked(Certificate(1007)));
        Assert.False(parsed.IsRevoked(Certificate(1008)));
        Assert.True(parsed.IsRevoked(Certificate(3, "any-ca", _otherCa)));
    }

    [Fact]
    public void A_KRL_written_by_ssh_keygen_k_parses_and_agrees_with_ssh_keygen_Q()
    {
        string caPub = _dir.Write("ca.pub", _ca.PublicKey.ToText() + "\n");
        string spec = string.Join('\n',
            "serial: 5",
            "serial: 100-110",
            "serial: 1000", "serial: 1002", "serial: 1004", "serial: 1006", "serial: 1010", "serial: 1040",
            "id: compromised",
            "key: " + _explicitKey.PublicKey.ToText(),
            "key: " + _revokedCa.PublicKey.ToText(),
            "sha1: " + _sha1Key.PublicKey.ToText(),
            "hash: " + _sha256Key.PublicKey.GetFingerprint()) + "\n";
        string specPath = _dir.Write("spec.txt", spec);
        string krlPath = _dir.File("keygen.krl");
        OpenSshTools.Keygen("-k", "-f", krlPath, "-s", caPub, "-z", "4", specPath);

        KeyRevocationList krl = KeyRevocationList.Parse(File.ReadAllBytes(krlPath));
        Dictionary<string, bool> keygen = QueryKeygen(krlPath, Probes());

        Assert.Equal(4UL, krl.Version);
        Assert.All(Probes(), probe => Assert.True(keygen[probe.Key] == krl.IsRevoked(probe.Value), $"{probe.Key}: ssh-keygen says revoked={keygen[probe.Key]}"));
        Assert.True(krl.IsRevoked(Certificate(1006)) && krl.IsRevoked(_sha256Key.PublicKey) && krl.IsRevoked(Certificate(3, "compromised")));
        KeyRevocationList rebuilt = KeyRevocationList.Parse(new KeyRevocationListBuilder(krl).Build(TimeProvider.System).Encode());
        Assert.Equal(5UL, rebuilt.Version);
        Assert.All(Probes(), probe => Assert.Equal(krl.IsRevoked(probe.Value), rebuilt.IsRevoked(probe.Value)));
    }

    /// <summary>Runs <c>ssh-keygen -Q</c> once over every probe and reads its per-file verdicts.</summary>
    private Dictionary<string, bool> QueryKeygen(string krlPath, Dictionary<string, SshPublicKey> probes)
    {
        var arguments = new List<string> { "-Q", "-f", krlPath };
        foreach ((string name, SshPublicKey key) in probes)
        {
            arguments.Add(_dir.Write(name + ".pub", key.ToText() + "\n"));
        }

        OpenSshTools.Result result = OpenSshTools.Run(OpenSshTools.SshKeygen, [.. arguments]);
        var verdicts = new Dictionary<string, bool>();
        foreach (string line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string file = Path.GetFileNameWithoutExtension(line[..line.IndexOf(' ', StringComparison.Ordinal)].TrimEnd(':'));
            verdicts[file] = line.EndsWith("REVOKED", StringComparison.Ordinal);
        }

        Assert.True(verdicts.Count == probes.Count, $"ssh-keygen -Q answered {verdicts.Count} of {probes.Count}: {result.Output} {result.Error}");
        return verdicts;
    }

    /// <summary>The certificate subsection types present in an encoded KRL (a light structural scan).</summary>
    private static HashSet<byte> SubsectionTypes(byte[] krl)
    {
        var types = new HashSet<byte>();
        var reader = new Custos.Ssh.Wire.SshReader(krl);
        reader.ReadBytes(8 + 4 + 8 + 8 + 8);
        reader.ReadString();
        reader.ReadString();
        while (!reader.IsEmpty)
        {
            byte type = reader.ReadByte();
            var section = new Custos.Ssh.Wire.SshReader(reader.ReadString());
            if (type != 1)
            {
                continue;
            }

            section.ReadString();
            section.ReadString();
            while (!section.IsEmpty)
            {
                types.Add(section.ReadByte());
                section.ReadString();
            }
        }

        return types;
    }
}
