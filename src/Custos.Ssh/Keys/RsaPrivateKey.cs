using System.Numerics;
using System.Security.Cryptography;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>RSA private key held by the BCL; signs with <c>rsa-sha2-256</c> or <c>rsa-sha2-512</c> (RFC 8332).</summary>
internal sealed class RsaPrivateKey : SshPrivateKey
{
    private readonly RSA _rsa;

    private RsaPrivateKey(RSA rsa, RSAParameters publicParameters)
        : base(RsaPublicKey.FromParameters(publicParameters.Exponent, publicParameters.Modulus)) => _rsa = rsa;

    public override string DefaultSignatureAlgorithm => SshAlgorithmNames.RsaSha512;

    public static RsaPrivateKey Generate(int bits)
    {
        if (bits < RsaPublicKey.MinimumBits || bits > RsaPublicKey.MaximumBits || bits % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"RSA keys must be a multiple of 8 bits between {RsaPublicKey.MinimumBits} and {RsaPublicKey.MaximumBits}.");
        }

        return FromRsa(RSA.Create(bits));
    }

    /// <summary>Takes ownership of an imported BCL key after checking its size.</summary>
    public static RsaPrivateKey FromRsa(RSA rsa)
    {
        try
        {
            return new RsaPrivateKey(rsa, rsa.ExportParameters(false));
        }
        catch (Exception ex) when (ex is CryptographicException or SshFormatException)
        {
            rsa.Dispose();
            throw ex as SshFormatException ?? new SshFormatException("The RSA key could not be read.", ex);
        }
    }

    /// <summary>Builds a key from the PROTOCOL.key fields, checking that they are consistent (n = pq, iqmp·q ≡ 1 mod p).</summary>
    public static RsaPrivateKey FromSsh(ReadOnlySpan<byte> n, ReadOnlySpan<byte> e, ReadOnlySpan<byte> d, ReadOnlySpan<byte> iqmp, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q)
    {
        int bits = RsaPublicKey.ModulusBits(n);
        if (bits < RsaPublicKey.MinimumBits || bits > RsaPublicKey.MaximumBits)
        {
            throw new SshFormatException($"RSA keys must have a {RsaPublicKey.MinimumBits}–{RsaPublicKey.MaximumBits}-bit modulus; this one has {bits} bits.");
        }

        int k = n.Length;
        int half = (k + 1) / 2;
        if (d.IsEmpty || d.Length > k || p.IsEmpty || q.IsEmpty || p.Length > half || q.Length > half || iqmp.Length > half || e.IsEmpty || e.Length > 8)
        {
            throw new SshFormatException("The RSA private key fields have inconsistent sizes.");
        }

        var bn = new BigInteger(n, isUnsigned: true, isBigEndian: true);
        var bp = new BigInteger(p, isUnsigned: true, isBigEndian: true);
        var bq = new BigInteger(q, isUnsigned: true, isBigEndian: true);
        var bd = new BigInteger(d, isUnsigned: true, isBigEndian: true);
        var be = new BigInteger(e, isUnsigned: true, isBigEndian: true);
        var biqmp = new BigInteger(iqmp, isUnsigned: true, isBigEndian: true);
        if (bp <= BigInteger.One || bq <= BigInteger.One || bp * bq != bn || (biqmp * bq) % bp != BigInteger.One)
        {
            throw new SshFormatException("The RSA private key is inconsistent (n ≠ p·q or iqmp is wrong).");
        }

        BigInteger dp = bd % (bp - 1);
        BigInteger dq = bd % (bq - 1);
        if ((be * dp) % (bp - 1) != BigInteger.One || (be * dq) % (bq - 1) != BigInteger.One)
        {
            throw new SshFormatException("The RSA private exponent does not match the public exponent.");
        }

        var parameters = new RSAParameters
        {
            Modulus = n.ToArray(),
            Exponent = e.ToArray(),
            D = Pad(d, k),
            P = Pad(p, half),
            Q = Pad(q, half),
            DP = Pad(dp.ToByteArray(isUnsigned: true, isBigEndian: true), half),
            DQ = Pad(dq.ToByteArray(isUnsigned: true, isBigEndian: true), half),
            InverseQ = Pad(iqmp, half),
        };
        try
        {
            return FromRsa(RSA.Create(parameters));
        }
        catch (CryptographicException ex)
        {
            throw new SshFormatException("The RSA private key was rejected by the cryptographic provider.", ex);
        }
        finally
        {
            ZeroPrivate(parameters);
        }
    }

    private static byte[] Pad(ReadOnlySpan<byte> value, int length)
    {
        if (value.Length > length)
        {
            throw new SshFormatException("An RSA private key field is longer than the modulus allows.");
        }

        byte[] padded = new byte[length];
        value.CopyTo(padded.AsSpan(length - value.Length));
        return padded;
    }

    private static void ZeroPrivate(RSAParameters parameters)
    {
        Zero(parameters.D);
        Zero(parameters.P);
        Zero(parameters.Q);
        Zero(parameters.DP);
        Zero(parameters.DQ);
        Zero(parameters.InverseQ);
    }

    private protected override byte[] SignCore(ReadOnlySpan<byte> data, string algorithm)
    {
        byte[] signature = _rsa.SignData(data, RsaPublicKey.HashFor(algorithm), RSASignaturePadding.Pkcs1);
        return SignatureBlob(algorithm, signature);
    }

    /// <summary>PROTOCOL.key: <c>string "ssh-rsa", mpint n, mpint e, mpint d, mpint iqmp, mpint p, mpint q</c>.</summary>
    internal override void WritePrivateFields(SshWriter writer)
    {
        RSAParameters parameters = _rsa.ExportParameters(true);
        try
        {
            writer.WriteUtf8String(SshAlgorithmNames.Rsa);
            writer.WriteMpint(parameters.Modulus);
            writer.WriteMpint(parameters.Exponent);
            writer.WriteMpint(parameters.D);
            writer.WriteMpint(parameters.InverseQ);
            writer.WriteMpint(parameters.P);
            writer.WriteMpint(parameters.Q);
        }
        finally
        {
            ZeroPrivate(parameters);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rsa.Dispose();
        }

        base.Dispose(disposing);
    }
}
