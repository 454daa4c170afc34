using System.Security.Cryptography;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>
/// <c>ecdsa-sha2-nistp256/384/521</c> (RFC 5656 §3.1): <c>string type, string curve, string Q</c>.
/// Verification through the BCL (OpenSSL on Linux).
/// </summary>
internal sealed class EcdsaPublicKey : SshPublicKey
{
    private readonly Lazy<ECDsa?> _ecdsa;
    private readonly string[] _algorithms;

    /// <param name="q">An uncompressed point already checked by <see cref="EcdsaCurve.ValidatePoint"/>.</param>
    private EcdsaPublicKey(EcdsaCurve curve, byte[] blob, byte[] q)
        : base(curve.KeyAlgorithm, blob)
    {
        Curve = curve;
        _ecdsa = LazyVerifier(curve, q);
        _algorithms = [curve.KeyAlgorithm];
    }

    /// <summary>The OpenSSL key is built on first verification: parsing a key (e.g. a CA key inside every certificate) stays cheap.</summary>
    internal static Lazy<ECDsa?> LazyVerifier(EcdsaCurve curve, byte[] q) => new(() =>
    {
        try
        {
            return curve.ImportPoint(q);
        }
        catch (SshFormatException)
        {
            return null;
        }
    });

    public EcdsaCurve Curve { get; }

    public override SshKeyType KeyType => Curve.KeyType;

    public override int KeySize => Curve.Bits;

    public override IReadOnlyList<string> SignatureAlgorithms => _algorithms;

    internal static EcdsaPublicKey ReadBody(string type, ref SshReader reader, byte[] blob)
    {
        EcdsaCurve curve = EcdsaCurve.ForKeyAlgorithm(type);
        ReadCurveName(ref reader, curve);
        ReadOnlySpan<byte> q = reader.ReadString();
        curve.ValidatePoint(q);
        return new EcdsaPublicKey(curve, blob, q.ToArray());
    }

    internal static void ReadCurveName(ref SshReader reader, EcdsaCurve curve)
    {
        if (!reader.ReadString().SequenceEqual(System.Text.Encoding.ASCII.GetBytes(curve.CurveName)))
        {
            throw new SshFormatException($"The curve name does not match key type '{curve.KeyAlgorithm}'.");
        }
    }

    internal static EcdsaPublicKey FromParameters(EcdsaCurve curve, ECPoint point)
    {
        byte[] q = curve.EncodePoint(point);
        var writer = new SshWriter(q.Length + 48);
        writer.WriteUtf8String(curve.KeyAlgorithm);
        writer.WriteUtf8String(curve.CurveName);
        writer.WriteString(q);
        curve.ValidatePoint(q);
        return new EcdsaPublicKey(curve, writer.ToArray(), q);
    }

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature) =>
        VerifySshSignature(_ecdsa.Value, Curve, data, signature.Signature.Span, Curve.Hash);

    /// <summary>Verifies an SSH-form ECDSA signature (<c>mpint r, mpint s</c>) over data hashed with <paramref name="hash"/>.</summary>
    internal static bool VerifySshSignature(ECDsa? ecdsa, EcdsaCurve curve, ReadOnlySpan<byte> data, ReadOnlySpan<byte> sshSignature, HashAlgorithmName hash)
    {
        Span<byte> fixedWidth = stackalloc byte[2 * curve.FieldSize];
        return ecdsa is not null
            && EcdsaSignatureEncoding.TryToFixedWidth(sshSignature, fixedWidth)
            && ecdsa.VerifyData(data, fixedWidth, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
