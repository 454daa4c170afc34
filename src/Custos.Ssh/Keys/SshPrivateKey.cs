using System.Security.Cryptography;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>
/// A private key with its public half: generate, sign, read and write. Dispose it to release (and, where
/// the runtime allows, zero) the key material.
/// </summary>
public abstract class SshPrivateKey : IDisposable
{
    private protected SshPrivateKey(SshPublicKey publicKey) => PublicKey = publicKey;

    public SshPublicKey PublicKey { get; }

    public SshKeyType KeyType => PublicKey.KeyType;

    /// <summary>The key type name, e.g. <c>ssh-ed25519</c>.</summary>
    public string Algorithm => PublicKey.Algorithm;

    /// <summary>The signature algorithm <see cref="Sign"/> uses when none is given (<c>rsa-sha2-512</c> for RSA).</summary>
    public virtual string DefaultSignatureAlgorithm => PublicKey.Algorithm;

    protected bool IsDisposed { get; private set; }

    /// <summary>Generates a new key. RSA keys default to 3072 bits and must be at least 2048.</summary>
    public static SshPrivateKey Generate(SshKeyType type = SshKeyType.Ed25519, int rsaKeySize = 3072) => type switch
    {
        SshKeyType.Ed25519 => Ed25519PrivateKey.Generate(),
        SshKeyType.EcdsaP256 or SshKeyType.EcdsaP384 or SshKeyType.EcdsaP521 => EcdsaPrivateKey.Generate(EcdsaCurve.ForKeyType(type)),
        SshKeyType.Rsa => RsaPrivateKey.Generate(rsaKeySize),
        _ => throw new ArgumentException($"Custos cannot generate {type} keys: security-key private keys live on the authenticator.", nameof(type)),
    };

    /// <summary>
    /// Reads a private key file: unencrypted <c>openssh-key-v1</c>, PKCS#8 (<c>PRIVATE KEY</c>), PKCS#1
    /// (<c>RSA PRIVATE KEY</c>) or SEC1 (<c>EC PRIVATE KEY</c>). Passphrase-protected keys are refused.
    /// </summary>
    public static SshPrivateKey Load(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains("-----BEGIN OPENSSH PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return OpenSshPrivateKeyFile.Read(text, out _);
        }

        return PemPrivateKeyFile.Read(text);
    }

    /// <summary>Reads an <c>openssh-key-v1</c> file and returns its comment.</summary>
    public static SshPrivateKey Load(string text, out string comment)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains("-----BEGIN OPENSSH PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return OpenSshPrivateKeyFile.Read(text, out comment);
        }

        comment = string.Empty;
        return PemPrivateKeyFile.Read(text);
    }

    /// <summary>Writes the key as an unencrypted <c>openssh-key-v1</c> file, as <c>ssh-keygen -N ''</c> does.</summary>
    public string ToOpenSshText(string comment = "")
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return OpenSshPrivateKeyFile.Write(this, comment ?? string.Empty);
    }

    /// <summary>
    /// Signs <paramref name="data"/> and returns the SSH signature blob (<c>string algorithm, string signature</c>).
    /// For RSA, <paramref name="signatureAlgorithm"/> may be <c>rsa-sha2-256</c> or <c>rsa-sha2-512</c> (default).
    /// </summary>
    public byte[] Sign(ReadOnlySpan<byte> data, string? signatureAlgorithm = null)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        string algorithm = signatureAlgorithm ?? DefaultSignatureAlgorithm;
        if (!PublicKey.SignatureAlgorithms.Contains(algorithm))
        {
            throw new ArgumentException($"A {PublicKey.Algorithm} key cannot sign with '{algorithm}' (supported: {string.Join(", ", PublicKey.SignatureAlgorithms)}).", nameof(signatureAlgorithm));
        }

        return SignCore(data, algorithm);
    }

    private protected abstract byte[] SignCore(ReadOnlySpan<byte> data, string algorithm);

    /// <summary>Writes the private fields as PROTOCOL.key lists them for this key type (type name included).</summary>
    internal abstract void WritePrivateFields(SshWriter writer);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => IsDisposed = true;

    /// <summary>Builds a signature blob <c>string algorithm, string signature</c> in one allocation.</summary>
    private protected static byte[] SignatureBlob(string algorithm, ReadOnlySpan<byte> signature)
    {
        byte[] blob = new byte[8 + algorithm.Length + signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, (uint)algorithm.Length);
        System.Text.Encoding.ASCII.GetBytes(algorithm, blob.AsSpan(4));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(4 + algorithm.Length), (uint)signature.Length);
        signature.CopyTo(blob.AsSpan(8 + algorithm.Length));
        return blob;
    }

    private protected static void Zero(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
