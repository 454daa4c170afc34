using System.Security.Cryptography;
using System.Text;

namespace Custos.Core.Crypto;

/// <summary>A secret sealed under envelope encryption: the data key wrapped by the master key, and the ciphertext.</summary>
public sealed record SealedSecret(byte[] WrappedKey, byte[] Ciphertext);

/// <summary>
/// Envelope encryption: each secret gets a fresh AES-256-GCM data key; the data key is encrypted (wrapped) by the
/// master key. Both layers bind the secret's name as associated data, so a sealed value moved to another name fails
/// to open. Layout of each blob: nonce (12) ‖ ciphertext ‖ tag (16).
/// </summary>
public sealed class EnvelopeSealer(MasterKey masterKey)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public SealedSecret Seal(string name, ReadOnlySpan<byte> plaintext)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var aad = Encoding.UTF8.GetBytes("custos-secret:" + name);
            return new SealedSecret(Encrypt(masterKey.Bytes, dataKey, aad), Encrypt(dataKey, plaintext, aad));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Opens a sealed secret. Throws <see cref="CryptographicException"/> when the master key is wrong or the blob was altered.</summary>
    public byte[] Open(string name, SealedSecret sealedSecret)
    {
        var aad = Encoding.UTF8.GetBytes("custos-secret:" + name);
        var dataKey = Decrypt(masterKey.Bytes, sealedSecret.WrappedKey, aad);
        try
        {
            return Decrypt(dataKey, sealedSecret.Ciphertext, aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, byte[] aad)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), aad);
        return output;
    }

    private static byte[] Decrypt(ReadOnlySpan<byte> key, byte[] blob, byte[] aad)
    {
        if (blob.Length < NonceSize + TagSize) throw new CryptographicException("sealed blob is too short");
        var plaintext = new byte[blob.Length - NonceSize - TagSize];
        using var gcm = new AesGcm(key, TagSize);
        gcm.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize, plaintext.Length), blob.AsSpan(NonceSize + plaintext.Length), plaintext, aad);
        return plaintext;
    }
}
