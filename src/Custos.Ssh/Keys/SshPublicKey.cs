using System.Security.Cryptography;
using System.Text;
using Custos.Ssh.Certificates;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>The hash used for a key fingerprint, as <c>ssh-keygen -l -E</c> names them.</summary>
public enum SshFingerprintAlgorithm
{
    Sha256,
    Md5,
}

/// <summary>
/// An SSH public key (or certificate, see <see cref="SshCertificate"/>): its type name, its wire blob
/// (RFC 4253 §6.6) and signature verification. Instances are immutable and safe to share between threads.
/// </summary>
public abstract class SshPublicKey : IEquatable<SshPublicKey>
{
    private readonly byte[] _blob;
    private byte[]? _sha256;
    private byte[]? _sha1;

    private protected SshPublicKey(string algorithm, byte[] blob)
    {
        Algorithm = algorithm;
        _blob = blob;
    }

    /// <summary>The key type name on the wire, e.g. <c>ssh-ed25519</c> or <c>ssh-ed25519-cert-v01@openssh.com</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The public key blob in SSH wire form.</summary>
    public ReadOnlyMemory<byte> Blob => _blob;

    public abstract SshKeyType KeyType { get; }

    /// <summary>Size in bits as <c>ssh-keygen -l</c> prints it (256 for Ed25519, the modulus size for RSA).</summary>
    public abstract int KeySize { get; }

    /// <summary>The signature algorithms this key verifies (for RSA: <c>rsa-sha2-512</c> and <c>rsa-sha2-256</c>, never <c>ssh-rsa</c>).</summary>
    public abstract IReadOnlyList<string> SignatureAlgorithms { get; }

    /// <summary>The label <c>ssh-keygen -l</c> shows in parentheses, e.g. <c>ED25519</c> or <c>RSA-CERT</c>.</summary>
    public virtual string DisplayType => KeyType switch
    {
        SshKeyType.Ed25519 => "ED25519",
        SshKeyType.Rsa => "RSA",
        SshKeyType.SecurityKeyEd25519 => "ED25519-SK",
        SshKeyType.SecurityKeyEcdsaP256 => "ECDSA-SK",
        _ => "ECDSA",
    };

    /// <summary>Parses a public key or certificate blob in SSH wire form.</summary>
    public static SshPublicKey Parse(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string type = SshSignature.ReadName(ref reader, "key type");
        if (type.EndsWith(SshAlgorithmNames.CertificateSuffix, StringComparison.Ordinal))
        {
            return SshCertificate.Parse(blob);
        }

        SshPublicKey key = ParsePlainBody(type, ref reader, blob.ToArray());
        reader.EnsureEnd("public key");
        return key;
    }

    /// <summary>Parses a blob that must be a plain key, not a certificate (e.g. a CA key).</summary>
    public static SshPublicKey ParsePlain(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string type = SshSignature.ReadName(ref reader, "key type");
        if (type.EndsWith(SshAlgorithmNames.CertificateSuffix, StringComparison.Ordinal))
        {
            throw new SshFormatException($"A plain key is required here, but the blob is a certificate ('{type}').");
        }

        SshPublicKey key = ParsePlainBody(type, ref reader, blob.ToArray());
        reader.EnsureEnd("public key");
        return key;
    }

    /// <summary>Parses the one-line text form used by <c>.pub</c> files: <c>type base64 [comment]</c>.</summary>
    public static SshPublicKey ParseText(string line) => ParseText(line, out _);

    /// <summary>Parses the one-line text form and returns its comment (empty when absent).</summary>
    public static SshPublicKey ParseText(string line, out string comment)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] parts = line.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new SshFormatException("A public key line needs a key type and base64 data.");
        }

        SshPublicKey key = ParseTypeAndBase64(parts[0], parts[1]);
        comment = parts.Length > 2 ? parts[2].Trim() : string.Empty;
        return key;
    }

    internal static SshPublicKey ParseTypeAndBase64(string type, string base64)
    {
        byte[] blob = new byte[base64.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(base64, blob, out int length))
        {
            throw new SshFormatException("The key data is not valid base64.");
        }

        SshPublicKey key = Parse(blob.AsSpan(0, length));
        if (!string.Equals(key.Algorithm, type, StringComparison.Ordinal))
        {
            throw new SshFormatException($"Key type mismatch: the line says '{Truncate(type)}' but the key is '{key.Algorithm}'.");
        }

        return key;
    }

    /// <summary>The one-line text form, <c>type base64 [comment]</c>.</summary>
    public string ToText(string? comment = null)
    {
        string text = Algorithm + " " + Convert.ToBase64String(_blob);
        return string.IsNullOrEmpty(comment) ? text : text + " " + comment;
    }

    /// <summary>
    /// The fingerprint exactly as <c>ssh-keygen -l</c> prints it: <c>SHA256:base64</c> or <c>MD5:hex:pairs</c>.
    /// For a certificate it is the certified key's fingerprint, as OpenSSH computes it.
    /// </summary>
    public string GetFingerprint(SshFingerprintAlgorithm algorithm = SshFingerprintAlgorithm.Sha256)
    {
        if (algorithm == SshFingerprintAlgorithm.Sha256)
        {
            return "SHA256:" + Convert.ToBase64String(Sha256Hash.Span).TrimEnd('=');
        }

#pragma warning disable CA5351 // MD5 is what OpenSSH's legacy fingerprint format is; it identifies, it does not protect.
        byte[] md5 = MD5.HashData(PlainBlob.Span);
#pragma warning restore CA5351
        var text = new StringBuilder("MD5:", 4 + md5.Length * 3);
        for (int i = 0; i < md5.Length; i++)
        {
            if (i > 0)
            {
                text.Append(':');
            }

            text.Append(Convert.ToHexStringLower(md5.AsSpan(i, 1)));
        }

        return text.ToString();
    }

    /// <summary>SHA-256 of the plain key blob (for a certificate, of the certified key), cached.</summary>
    internal ReadOnlyMemory<byte> Sha256Hash => _sha256 ??= SHA256.HashData(PlainBlob.Span);

    /// <summary>SHA-1 of the plain key blob, cached (KRL fingerprint sections).</summary>
#pragma warning disable CA5350 // SHA-1 is what KRL_SECTION_FINGERPRINT_SHA1 specifies.
    internal ReadOnlyMemory<byte> Sha1Hash => _sha1 ??= SHA1.HashData(PlainBlob.Span);
#pragma warning restore CA5350

    /// <summary>The plain key blob: the blob itself, or for a certificate the certified key's blob.</summary>
    internal virtual ReadOnlyMemory<byte> PlainBlob => _blob;

    /// <summary>
    /// Verifies a signature blob over <paramref name="data"/>. The blob's algorithm must be one this key
    /// supports. For security keys the user-presence flag is also required, as sshd does by default.
    /// Malformed blobs return false.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureBlob) =>
        Verify(data, signatureBlob, out SshSignature? signature) && (!signature.IsSecurityKey || signature.UserPresent);

    /// <summary>
    /// Verifies a signature blob cryptographically and returns the parsed signature, so callers can
    /// apply their own policy to security-key flags and counters.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureBlob, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SshSignature? signature)
    {
        signature = null;
        SshSignature parsed;
        try
        {
            parsed = SshSignature.Parse(signatureBlob);
        }
        catch (SshFormatException)
        {
            return false;
        }

        if (!Verify(data, parsed))
        {
            return false;
        }

        signature = parsed;
        return true;
    }

    /// <summary>Verifies a parsed signature (algorithm must be supported by this key).</summary>
    public bool Verify(ReadOnlySpan<byte> data, SshSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return IsSupported(signature.Algorithm) && VerifyCore(data, signature);
    }

    private bool IsSupported(string algorithm)
    {
        foreach (string name in SignatureAlgorithms)
        {
            if (string.Equals(name, algorithm, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private protected abstract bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature);

    public bool Equals(SshPublicKey? other) => other is not null && _blob.AsSpan().SequenceEqual(other._blob);

    public override bool Equals(object? obj) => Equals(obj as SshPublicKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_blob);
        return hash.ToHashCode();
    }

    public override string ToString() => $"{Algorithm} {GetFingerprint()}";

    internal static string Truncate(string value) => value.Length > 64 ? value[..64] + "…" : value;

    /// <summary>Parses the type-specific fields of a plain key, after its type name.</summary>
    internal static SshPublicKey ParsePlainBody(string type, ref SshReader reader, byte[] blob) => type switch
    {
        SshAlgorithmNames.Ed25519 => Ed25519PublicKey.ReadBody(ref reader, blob),
        SshAlgorithmNames.EcdsaP256 or SshAlgorithmNames.EcdsaP384 or SshAlgorithmNames.EcdsaP521 => EcdsaPublicKey.ReadBody(type, ref reader, blob),
        SshAlgorithmNames.Rsa => RsaPublicKey.ReadBody(ref reader, blob),
        SshAlgorithmNames.SecurityKeyEd25519 => SecurityKeyEd25519PublicKey.ReadBody(ref reader, blob),
        SshAlgorithmNames.SecurityKeyEcdsaP256 => SecurityKeyEcdsaPublicKey.ReadBody(ref reader, blob),
        _ => throw new SshFormatException(SshAlgorithmNames.RefusalReason(type)),
    };
}
