using System.Security.Cryptography;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>ECDSA private key on a NIST curve, held by the BCL (OpenSSL on Linux).</summary>
internal sealed class EcdsaPrivateKey : SshPrivateKey
{
    private readonly ECDsa _ecdsa;
    private readonly EcdsaCurve _curve;

    private EcdsaPrivateKey(EcdsaCurve curve, ECDsa ecdsa)
        : base(EcdsaPublicKey.FromParameters(curve, ecdsa.ExportParameters(false).Q))
    {
        _curve = curve;
        _ecdsa = ecdsa;
    }

    public static EcdsaPrivateKey Generate(EcdsaCurve curve) => new(curve, ECDsa.Create(curve.Curve));

    /// <summary>Takes ownership of an imported key after checking its curve is one SSH supports.</summary>
    public static EcdsaPrivateKey FromEcdsa(ECDsa ecdsa)
    {
        EcdsaCurve? curve;
        try
        {
            curve = EcdsaCurve.ForOid(ecdsa.ExportParameters(false).Curve.Oid?.Value);
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new SshFormatException("The ECDSA key could not be read.", ex);
        }

        if (curve is null)
        {
            ecdsa.Dispose();
            throw new SshFormatException("The ECDSA key is on a curve SSH does not support (only NIST P-256, P-384 and P-521).");
        }

        return new EcdsaPrivateKey(curve, ecdsa);
    }

    /// <summary>Builds a key from the SSH private fields, checking that the point matches the scalar.</summary>
    public static EcdsaPrivateKey FromSsh(EcdsaCurve curve, ReadOnlySpan<byte> q, ReadOnlySpan<byte> d)
    {
        if (d.IsEmpty || d.Length > curve.FieldSize)
        {
            throw new SshFormatException($"The {curve.CurveName} private scalar has an invalid length.");
        }

        using ECDsa point = curve.ImportPoint(q);
        ECParameters parameters = point.ExportParameters(false);
        parameters.D = new byte[curve.FieldSize];
        d.CopyTo(parameters.D.AsSpan(curve.FieldSize - d.Length));
        try
        {
            ECDsa ecdsa = ECDsa.Create(parameters);
            return new EcdsaPrivateKey(curve, ecdsa);
        }
        catch (CryptographicException ex)
        {
            throw new SshFormatException($"The {curve.CurveName} private key is inconsistent with its public point.", ex);
        }
        finally
        {
            Zero(parameters.D);
        }
    }

    private protected override byte[] SignCore(ReadOnlySpan<byte> data, string algorithm)
    {
        Span<byte> fixedWidth = stackalloc byte[2 * _curve.FieldSize];
        if (!_ecdsa.TrySignData(data, fixedWidth, _curve.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out int written) || written != fixedWidth.Length)
        {
            throw new CryptographicException("ECDSA signing failed.");
        }

        return SignatureBlob(_curve.KeyAlgorithm, EcdsaSignatureEncoding.ToSsh(fixedWidth));
    }

    /// <summary>PROTOCOL.key: <c>string type, string curve, string Q, mpint d</c>.</summary>
    internal override void WritePrivateFields(SshWriter writer)
    {
        ECParameters parameters = _ecdsa.ExportParameters(true);
        try
        {
            writer.WriteUtf8String(_curve.KeyAlgorithm);
            writer.WriteUtf8String(_curve.CurveName);
            writer.WriteString(_curve.EncodePoint(parameters.Q));
            writer.WriteMpint(parameters.D);
        }
        finally
        {
            Zero(parameters.D);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ecdsa.Dispose();
        }

        base.Dispose(disposing);
    }
}
