using System.Numerics;
using System.Security.Cryptography;

namespace Custos.Ssh.Keys;

/// <summary>The NIST curves of RFC 5656 §10.1 with their SSH names, field sizes and hash (§6.2.1).</summary>
internal sealed record EcdsaCurve(string KeyAlgorithm, string CurveName, ECCurve Curve, int FieldSize, HashAlgorithmName Hash, SshKeyType KeyType, int Bits)
{
    private readonly Lazy<(BigInteger P, BigInteger A, BigInteger B)> _equation = new(() => Equation(Curve));

    public static readonly EcdsaCurve P256 = new(SshAlgorithmNames.EcdsaP256, "nistp256", ECCurve.NamedCurves.nistP256, 32, HashAlgorithmName.SHA256, SshKeyType.EcdsaP256, 256);
    public static readonly EcdsaCurve P384 = new(SshAlgorithmNames.EcdsaP384, "nistp384", ECCurve.NamedCurves.nistP384, 48, HashAlgorithmName.SHA384, SshKeyType.EcdsaP384, 384);
    public static readonly EcdsaCurve P521 = new(SshAlgorithmNames.EcdsaP521, "nistp521", ECCurve.NamedCurves.nistP521, 66, HashAlgorithmName.SHA512, SshKeyType.EcdsaP521, 521);

    public static EcdsaCurve ForKeyAlgorithm(string name) => name switch
    {
        SshAlgorithmNames.EcdsaP256 => P256,
        SshAlgorithmNames.EcdsaP384 => P384,
        SshAlgorithmNames.EcdsaP521 => P521,
        _ => throw new SshFormatException(SshAlgorithmNames.RefusalReason(name)),
    };

    public static EcdsaCurve ForKeyType(SshKeyType type) => type switch
    {
        SshKeyType.EcdsaP256 => P256,
        SshKeyType.EcdsaP384 => P384,
        SshKeyType.EcdsaP521 => P521,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not an ECDSA key type."),
    };

    /// <summary>Matches a curve OID as the BCL reports it (PKCS#8 / SEC1 imports).</summary>
    public static EcdsaCurve? ForOid(string? oid) => oid switch
    {
        "1.2.840.10045.3.1.7" => P256,
        "1.3.132.0.34" => P384,
        "1.3.132.0.35" => P521,
        _ => null,
    };

    /// <summary>
    /// Checks an uncompressed point <c>04 || X || Y</c> (SEC1 §2.3.3) lies on the curve: coordinates below p
    /// and y² = x³ + ax + b (mod p). The NIST curves have cofactor 1, so this also puts it in the prime-order
    /// group. Costs microseconds, where handing the point to OpenSSL costs a scalar multiplication.
    /// </summary>
    public void ValidatePoint(ReadOnlySpan<byte> q)
    {
        if (q.Length != 1 + 2 * FieldSize || q[0] != 0x04)
        {
            throw new SshFormatException($"The {CurveName} public point must be uncompressed and {1 + 2 * FieldSize} bytes long, not {q.Length}.");
        }

        (BigInteger p, BigInteger a, BigInteger b) = _equation.Value;
        var x = new BigInteger(q.Slice(1, FieldSize), isUnsigned: true, isBigEndian: true);
        var y = new BigInteger(q.Slice(1 + FieldSize, FieldSize), isUnsigned: true, isBigEndian: true);
        if (x >= p || y >= p || (y * y - (x * x * x + a * x + b)) % p != 0)
        {
            throw new SshFormatException($"The {CurveName} public point is not on the curve.");
        }
    }

    /// <summary>Builds a BCL verifier from an uncompressed point, validating it first.</summary>
    public ECDsa ImportPoint(ReadOnlySpan<byte> q)
    {
        ValidatePoint(q);
        var parameters = new ECParameters
        {
            Curve = Curve,
            Q = new ECPoint { X = q.Slice(1, FieldSize).ToArray(), Y = q.Slice(1 + FieldSize, FieldSize).ToArray() },
        };
        try
        {
            return ECDsa.Create(parameters);
        }
        catch (CryptographicException ex)
        {
            throw new SshFormatException($"The {CurveName} public point is not on the curve.", ex);
        }
    }

    /// <summary>The curve's prime and Weierstrass coefficients, as OpenSSL reports them.</summary>
    private static (BigInteger P, BigInteger A, BigInteger B) Equation(ECCurve curve)
    {
        using ECDsa sample = ECDsa.Create(curve);
        ECParameters explicitParameters = sample.ExportExplicitParameters(false);
        static BigInteger Unsigned(byte[]? value) => new(value, isUnsigned: true, isBigEndian: true);
        return (Unsigned(explicitParameters.Curve.Prime), Unsigned(explicitParameters.Curve.A), Unsigned(explicitParameters.Curve.B));
    }

    public byte[] EncodePoint(ECPoint point)
    {
        byte[] q = new byte[1 + 2 * FieldSize];
        q[0] = 0x04;
        point.X!.CopyTo(q.AsSpan(1 + FieldSize - point.X!.Length));
        point.Y!.CopyTo(q.AsSpan(1 + 2 * FieldSize - point.Y!.Length));
        return q;
    }
}
