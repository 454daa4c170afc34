using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Certificates;

/// <summary>
/// An OpenSSH certificate (PROTOCOL.certkeys, <c>*-cert-v01@openssh.com</c>). It is also a public key:
/// signatures made by the certified key verify through it, so the protocol layer can use it as any key.
/// Parsing checks structure only; use <see cref="SshCertificateValidator"/> to decide whether to trust it.
/// </summary>
public sealed partial class SshCertificate : SshPublicKey
{
    /// <summary>The <c>valid before</c> value meaning "never expires".</summary>
    public const ulong Forever = ulong.MaxValue;

    private readonly int _signedLength;

    private SshCertificate(string algorithm, byte[] blob, int signedLength, SshPublicKey key)
        : base(algorithm, blob)
    {
        _signedLength = signedLength;
        Key = key;
    }

    /// <summary>The certified (plain) public key.</summary>
    public SshPublicKey Key { get; }

    public ReadOnlyMemory<byte> Nonce { get; private init; }

    public ulong Serial { get; private init; }

    public SshCertificateType Type { get; private init; }

    public string KeyId { get; private init; } = string.Empty;

    public IReadOnlyList<string> Principals { get; private init; } = [];

    /// <summary>Start of validity, seconds since the Unix epoch (0 = always).</summary>
    public ulong ValidAfter { get; private init; }

    /// <summary>End of validity (exclusive), seconds since the Unix epoch (<see cref="Forever"/> = never).</summary>
    public ulong ValidBefore { get; private init; }

    /// <summary>Critical options, sorted by name.</summary>
    public IReadOnlyList<SshCertificateOption> CriticalOptions { get; private init; } = [];

    /// <summary>Extensions, sorted by name.</summary>
    public IReadOnlyList<SshCertificateOption> Extensions { get; private init; } = [];

    /// <summary>The CA key that signed the certificate (never itself a certificate).</summary>
    public SshPublicKey SignatureKey { get; private init; } = null!;

    public SshSignature Signature { get; private init; } = null!;

    public override SshKeyType KeyType => Key.KeyType;

    public override int KeySize => Key.KeySize;

    public override IReadOnlyList<string> SignatureAlgorithms => Key.SignatureAlgorithms;

    public override string DisplayType => Key.DisplayType + "-CERT";

    /// <summary>The bytes the CA signed: the whole certificate up to and including the signature key.</summary>
    public ReadOnlyMemory<byte> SignedData => Blob[.._signedLength];

    /// <summary>The value of the <c>force-command</c> critical option, if any.</summary>
    public string? ForceCommand => FindOption(CriticalOptions, SshCertificateOptionNames.ForceCommand);

    /// <summary>The value of the <c>source-address</c> critical option, if any.</summary>
    public string? SourceAddress => FindOption(CriticalOptions, SshCertificateOptionNames.SourceAddress);

    internal override ReadOnlyMemory<byte> PlainBlob => Key.Blob;

    /// <summary>True when the CA signature over the certificate verifies (trust in the CA is not checked here).</summary>
    public bool HasValidSignature() => SignatureKey.Verify(SignedData.Span, Signature);

    /// <summary>A signature by the certified key verifies through the certificate.</summary>
    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature) => Key.Verify(data, signature);

    public bool HasExtension(string name) => FindOption(Extensions, name) is not null;

    private static string? FindOption(IReadOnlyList<SshCertificateOption> options, string name)
    {
        foreach (SshCertificateOption option in options)
        {
            if (string.Equals(option.Name, name, StringComparison.Ordinal))
            {
                return option.Value;
            }
        }

        return null;
    }

    /// <summary>Parses a certificate blob; raises <see cref="SshFormatException"/> for anything malformed or unsupported.</summary>
    public static new SshCertificate Parse(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string type = SshSignature.ReadName(ref reader, "certificate type");
        if (!SshAlgorithmNames.IsCertificate(type))
        {
            throw new SshFormatException($"'{type}' is not a certificate type.");
        }

        string plainType = SshAlgorithmNames.PlainKeyFor(type);
        byte[] nonce = reader.ReadString().ToArray();
        ReadOnlySpan<byte> keyFieldsStart = reader.RemainingSpan;
        SkipKeyFields(plainType, ref reader);
        ReadOnlySpan<byte> keyFields = keyFieldsStart[..(keyFieldsStart.Length - reader.Remaining)];
        var plain = new SshWriter(keyFields.Length + plainType.Length + 4);
        plain.WriteUtf8String(plainType);
        plain.WriteRaw(keyFields);
        SshPublicKey key = ParsePlain(plain.WrittenSpan);

        ulong serial = reader.ReadUInt64();
        uint certType = reader.ReadUInt32();
        if (certType is not ((uint)SshCertificateType.User or (uint)SshCertificateType.Host))
        {
            throw new SshFormatException($"Unknown certificate type {certType} (1 = user, 2 = host).");
        }

        string keyId = reader.ReadUtf8String();
        string[] principals = ReadPrincipals(reader.ReadString());
        ulong validAfter = reader.ReadUInt64();
        ulong validBefore = reader.ReadUInt64();
        SshCertificateOption[] critical = ReadOptions(reader.ReadString(), "critical option");
        SshCertificateOption[] extensions = ReadOptions(reader.ReadString(), "extension");
        reader.ReadString(); // reserved
        ReadOnlySpan<byte> signatureKeyBlob = reader.ReadString();
        int signedLength = blob.Length - reader.Remaining;
        SshPublicKey signatureKey = ParseSignatureKey(signatureKeyBlob);
        SshSignature signature = SshSignature.Parse(reader.ReadString());
        reader.EnsureEnd("certificate");

        return new SshCertificate(type, blob.ToArray(), signedLength, key)
        {
            Nonce = nonce,
            Serial = serial,
            Type = (SshCertificateType)certType,
            KeyId = keyId,
            Principals = principals,
            ValidAfter = validAfter,
            ValidBefore = validBefore,
            CriticalOptions = critical,
            Extensions = extensions,
            SignatureKey = signatureKey,
            Signature = signature,
        };
    }

    private static SshPublicKey ParseSignatureKey(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string type = SshSignature.ReadName(ref reader, "signature key type");
        if (type.EndsWith(SshAlgorithmNames.CertificateSuffix, StringComparison.Ordinal))
        {
            throw new SshFormatException("The certificate is signed by another certificate; certificate chains are refused.");
        }

        return ParsePlain(blob);
    }

    /// <summary>Skips the type-specific key fields that follow the nonce (PROTOCOL.certkeys §2).</summary>
    private static void SkipKeyFields(string plainType, ref SshReader reader)
    {
        int strings = plainType switch
        {
            SshAlgorithmNames.Ed25519 => 1,
            SshAlgorithmNames.EcdsaP256 or SshAlgorithmNames.EcdsaP384 or SshAlgorithmNames.EcdsaP521 => 2,
            SshAlgorithmNames.Rsa => 2,
            SshAlgorithmNames.SecurityKeyEd25519 => 2,
            SshAlgorithmNames.SecurityKeyEcdsaP256 => 3,
            _ => throw new SshFormatException(SshAlgorithmNames.RefusalReason(SshAlgorithmNames.CertificateFor(plainType))),
        };
        for (int i = 0; i < strings; i++)
        {
            reader.ReadString();
        }
    }

    private static string[] ReadPrincipals(ReadOnlySpan<byte> packed)
    {
        var reader = new SshReader(packed);
        var principals = new List<string>();
        while (!reader.IsEmpty)
        {
            principals.Add(reader.ReadUtf8String());
        }

        return [.. principals];
    }

    /// <summary>Reads packed <c>string name, string data</c> pairs, which must be sorted by name and unique.</summary>
    private static SshCertificateOption[] ReadOptions(ReadOnlySpan<byte> packed, string what)
    {
        var reader = new SshReader(packed);
        var options = new List<SshCertificateOption>();
        ReadOnlySpan<byte> previous = default;
        while (!reader.IsEmpty)
        {
            ReadOnlySpan<byte> nameBytes = reader.ReadString();
            if (options.Count > 0 && nameBytes.SequenceCompareTo(previous) <= 0)
            {
                throw new SshFormatException($"The certificate's {what}s are not sorted and unique.");
            }

            previous = nameBytes;
            string name = SshReader.DecodeUtf8(nameBytes);
            ReadOnlySpan<byte> data = reader.ReadString();
            string value = string.Empty;
            if (!data.IsEmpty)
            {
                var inner = new SshReader(data);
                value = inner.ReadUtf8String();
                inner.EnsureEnd($"{what} '{Truncate(name)}'");
            }

            options.Add(new SshCertificateOption(name, value));
        }

        return [.. options];
    }
}
