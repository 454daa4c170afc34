using System.Security.Cryptography;
using System.Text;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Keys;

/// <summary>
/// The <c>openssh-key-v1</c> private key file (PROTOCOL.key), unencrypted only. Encrypted files are
/// recognised and refused with a message saying how to remove the passphrase.
/// </summary>
internal static class OpenSshPrivateKeyFile
{
    private const string Begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private const string End = "-----END OPENSSH PRIVATE KEY-----";
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("openssh-key-v1\0");

    public static string Write(SshPrivateKey key, string comment)
    {
        var secret = new SshWriter(1024);
        var file = new SshWriter(2048);
        try
        {
            uint check = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
            secret.WriteUInt32(check);
            secret.WriteUInt32(check);
            key.WritePrivateFields(secret);
            secret.WriteUtf8String(comment);
            for (byte pad = 1; secret.Length % 8 != 0; pad++)
            {
                secret.WriteByte(pad);
            }

            file.WriteRaw(Magic);
            file.WriteUtf8String("none");
            file.WriteUtf8String("none");
            file.WriteString([]);
            file.WriteUInt32(1);
            file.WriteString(key.PublicKey.Blob.Span);
            file.WriteString(secret.WrittenSpan);
            string base64 = Convert.ToBase64String(file.WrittenSpan);
            var text = new StringBuilder(base64.Length + 100);
            text.Append(Begin).Append('\n');
            for (int i = 0; i < base64.Length; i += 70)
            {
                text.Append(base64.AsSpan(i, Math.Min(70, base64.Length - i))).Append('\n');
            }

            return text.Append(End).Append('\n').ToString();
        }
        finally
        {
            secret.Clear();
            file.Clear();
        }
    }

    public static SshPrivateKey Read(string text, out string comment)
    {
        int begin = text.IndexOf(Begin, StringComparison.Ordinal);
        int end = text.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new SshFormatException("Not an OpenSSH private key file: the BEGIN/END OPENSSH PRIVATE KEY lines are missing.");
        }

        string body = text.Substring(begin + Begin.Length, end - begin - Begin.Length);
        byte[] binary = new byte[body.Length * 3 / 4 + 3];
        try
        {
            if (!Convert.TryFromBase64String(body, binary, out int length))
            {
                throw new SshFormatException("The OpenSSH private key body is not valid base64.");
            }

            return Parse(binary.AsSpan(0, length), out comment);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(binary);
        }
    }

    public static SshPrivateKey Parse(ReadOnlySpan<byte> binary, out string comment)
    {
        if (!binary.StartsWith(Magic))
        {
            throw new SshFormatException("Not an openssh-key-v1 private key (bad magic).");
        }

        var reader = new SshReader(binary[Magic.Length..]);
        string cipher = reader.ReadUtf8String();
        string kdf = reader.ReadUtf8String();
        reader.ReadString();
        if (cipher != "none" || kdf != "none")
        {
            throw new SshFormatException($"The private key is protected by a passphrase (cipher '{SshPublicKey.Truncate(cipher)}', KDF '{SshPublicKey.Truncate(kdf)}'); encrypted keys are not supported. Remove the passphrase with `ssh-keygen -p -N '' -f FILE` or supply an unencrypted key.");
        }

        uint count = reader.ReadUInt32();
        if (count != 1)
        {
            throw new SshFormatException($"The private key file holds {count} keys; exactly one is supported.");
        }

        ReadOnlySpan<byte> publicBlob = reader.ReadString();
        ReadOnlySpan<byte> secret = reader.ReadString();
        reader.EnsureEnd("private key file");
        if (secret.Length % 8 != 0)
        {
            throw new SshFormatException("The private key section is not padded to the 8-byte block size.");
        }

        var section = new SshReader(secret);
        if (section.ReadUInt32() != section.ReadUInt32())
        {
            throw new SshFormatException("The private key check values differ: the file is corrupt.");
        }

        SshPrivateKey key = ReadPrivateFields(ref section);
        try
        {
            comment = section.ReadUtf8String();
            ReadOnlySpan<byte> padding = section.RemainingSpan;
            for (int i = 0; i < padding.Length; i++)
            {
                if (padding[i] != (byte)(i + 1))
                {
                    throw new SshFormatException("The private key padding is invalid.");
                }
            }

            if (!publicBlob.SequenceEqual(key.PublicKey.Blob.Span))
            {
                throw new SshFormatException("The public key in the file does not match its private key.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static SshPrivateKey ReadPrivateFields(ref SshReader reader)
    {
        string type = Signatures.SshSignature.ReadName(ref reader, "key type");
        switch (type)
        {
            case SshAlgorithmNames.Ed25519:
                {
                    ReadOnlySpan<byte> publicKey = reader.ReadString();
                    ReadOnlySpan<byte> secretKey = reader.ReadString();
                    if (publicKey.Length != 32 || secretKey.Length != 64 || !secretKey[32..].SequenceEqual(publicKey))
                    {
                        throw new SshFormatException("The Ed25519 private key fields are malformed.");
                    }

                    var key = Ed25519PrivateKey.FromSeed(secretKey[..32]);
                    if (!key.PublicKey.Blob.Span[^32..].SequenceEqual(publicKey))
                    {
                        key.Dispose();
                        throw new SshFormatException("The Ed25519 public key does not match its private seed.");
                    }

                    return key;
                }

            case SshAlgorithmNames.EcdsaP256 or SshAlgorithmNames.EcdsaP384 or SshAlgorithmNames.EcdsaP521:
                {
                    EcdsaCurve curve = EcdsaCurve.ForKeyAlgorithm(type);
                    EcdsaPublicKey.ReadCurveName(ref reader, curve);
                    ReadOnlySpan<byte> q = reader.ReadString();
                    return EcdsaPrivateKey.FromSsh(curve, q, reader.ReadMpint());
                }

            case SshAlgorithmNames.Rsa:
                {
                    ReadOnlySpan<byte> n = reader.ReadMpint();
                    ReadOnlySpan<byte> e = reader.ReadMpint();
                    ReadOnlySpan<byte> d = reader.ReadMpint();
                    ReadOnlySpan<byte> iqmp = reader.ReadMpint();
                    ReadOnlySpan<byte> p = reader.ReadMpint();
                    return RsaPrivateKey.FromSsh(n, e, d, iqmp, p, reader.ReadMpint());
                }

            case SshAlgorithmNames.SecurityKeyEd25519 or SshAlgorithmNames.SecurityKeyEcdsaP256:
                throw new SshFormatException($"'{type}' private keys are handles to a FIDO authenticator; Custos cannot sign with them.");

            default:
                throw new SshFormatException(SshAlgorithmNames.RefusalReason(type));
        }
    }
}
