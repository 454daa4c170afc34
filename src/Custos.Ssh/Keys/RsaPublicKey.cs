using System.Security.Cryptography;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>
/// <c>ssh-rsa</c> keys (RFC 4253 §6.6): <c>string "ssh-rsa", mpint e, mpint n</c>. Only 2048–16384-bit
/// moduli are accepted, and only the SHA-2 signature algorithms of RFC 8332; SHA-1 <c>ssh-rsa</c>
/// signatures are refused.
/// </summary>
internal sealed class RsaPublicKey : SshPublicKey
{
    internal const int MinimumBits = 2048;
    internal const int MaximumBits = 16384;
    private static readonly string[] Algorithms = [SshAlgorithmNames.RsaSha512, SshAlgorithmNames.RsaSha256];
    private readonly Lazy<RSA?> _rsa;
    private readonly int _bits;

    /// <summary>The OpenSSL key is built on first verification, so parsing (a CA key inside every certificate) stays cheap.</summary>
    private RsaPublicKey(byte[] blob, byte[] e, byte[] n, int bits)
        : base(SshAlgorithmNames.Rsa, blob)
    {
        _rsa = new Lazy<RSA?>(() =>
        {
            try
            {
                return RSA.Create(new RSAParameters { Exponent = e, Modulus = n });
            }
            catch (CryptographicException)
            {
                return null;
            }
        });
        _bits = bits;
    }

    public override SshKeyType KeyType => SshKeyType.Rsa;

    public override int KeySize => _bits;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    internal static RsaPublicKey ReadBody(ref SshReader reader, byte[] blob)
    {
        ReadOnlySpan<byte> e = reader.ReadMpint();
        ReadOnlySpan<byte> n = reader.ReadMpint();
        return new RsaPublicKey(blob, e.ToArray(), n.ToArray(), Check(e, n));
    }

    internal static RsaPublicKey FromParameters(ReadOnlySpan<byte> e, ReadOnlySpan<byte> n)
    {
        var writer = new SshWriter(n.Length + e.Length + 32);
        writer.WriteUtf8String(SshAlgorithmNames.Rsa);
        writer.WriteMpint(e);
        writer.WriteMpint(n);
        return new RsaPublicKey(writer.ToArray(), e.ToArray(), n.ToArray(), Check(e, n));
    }

    internal static int ModulusBits(ReadOnlySpan<byte> n) => n.IsEmpty ? 0 : (n.Length - 1) * 8 + (8 - System.Numerics.BitOperations.LeadingZeroCount((uint)n[0]) + 24);

    /// <summary>Checks the sizes and parity OpenSSH requires and returns the modulus size in bits.</summary>
    private static int Check(ReadOnlySpan<byte> e, ReadOnlySpan<byte> n)
    {
        int bits = ModulusBits(n);
        if (bits < MinimumBits || bits > MaximumBits)
        {
            throw new SshFormatException($"RSA keys must have a {MinimumBits}–{MaximumBits}-bit modulus; this one has {bits} bits.");
        }

        if (e.IsEmpty || e.Length > 8 || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            throw new SshFormatException("The RSA public exponent must be odd, at least 3 and at most 64 bits.");
        }

        if ((n[^1] & 1) == 0)
        {
            throw new SshFormatException("The RSA modulus must be odd.");
        }

        return bits;
    }

    internal static HashAlgorithmName HashFor(string signatureAlgorithm) => signatureAlgorithm switch
    {
        SshAlgorithmNames.RsaSha256 => HashAlgorithmName.SHA256,
        SshAlgorithmNames.RsaSha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentException($"RSA signature algorithm '{signatureAlgorithm}' is not supported: use rsa-sha2-256 or rsa-sha2-512 (SHA-1 'ssh-rsa' signatures are refused).", nameof(signatureAlgorithm)),
    };

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature)
    {
        // RFC 8332 §3: the signature is as long as the modulus; like OpenSSH, accept a shorter one left-padded with zeros.
        ReadOnlySpan<byte> sig = signature.Signature.Span;
        int modulusBytes = (_bits + 7) / 8;
        if (sig.Length > modulusBytes || sig.IsEmpty)
        {
            return false;
        }

        if (sig.Length < modulusBytes)
        {
            byte[] padded = new byte[modulusBytes];
            sig.CopyTo(padded.AsSpan(modulusBytes - sig.Length));
            sig = padded;
        }

        RSA? rsa = _rsa.Value;
        return rsa is not null && rsa.VerifyData(data, sig, HashFor(signature.Algorithm), RSASignaturePadding.Pkcs1);
    }
}
