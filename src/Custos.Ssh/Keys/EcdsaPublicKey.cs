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
    private readonly ECDsa _ecdsa;
    private readonly string[] _algorithms;

    private EcdsaPublicKey(EcdsaCurve curve, byte[] blob, ECDsa ecdsa)
        : base(curve.KeyAlgorithm, blob)
    {
        Curve = curve;
        _ecdsa = ecdsa;
        _algorithms = [curve.KeyAlgorithm];
    }

    public EcdsaCurve Curve { get; }

    public override SshKeyType KeyType => Curve.KeyType;

    public override int KeySize => Curve.Bits;

    public override IReadOnlyList<string> SignatureAlgorithms => _algorithms;

    internal static EcdsaPublicKey ReadBody(string type, ref SshReader reader, byte[] blob)
    {
        EcdsaCurve curve = EcdsaCurve.ForKeyAlgorithm(type);
        ReadCurveName(ref reader, curve);
        return new EcdsaPublicKey(curve, blob, curve.ImportPoint(reader.ReadString()));
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
        return new EcdsaPublicKey(curve, writer.ToArray(), curve.ImportPoint(q));
    }

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature) =>
        VerifySshSignature(_ecdsa, Curve, data, signature.Signature.Span, Curve.Hash);

    /// <summary>Verifies an SSH-form ECDSA signature (<c>mpint r, mpint s</c>) over data hashed with <paramref name="hash"/>.</summary>
    internal static bool VerifySshSignature(ECDsa ecdsa, EcdsaCurve curve, ReadOnlySpan<byte> data, ReadOnlySpan<byte> sshSignature, HashAlgorithmName hash)
    {
        Span<byte> fixedWidth = stackalloc byte[2 * curve.FieldSize];
        return EcdsaSignatureEncoding.TryToFixedWidth(sshSignature, fixedWidth)
            && ecdsa.VerifyData(data, fixedWidth, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
