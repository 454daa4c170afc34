namespace Custos.Ssh.Transport.Ciphers;

/// <summary>Cipher and MAC names, and how much key material each needs (RFC 4253 §7.2).</summary>
public static class CipherNames
{
    public const string ChaCha20Poly1305 = "chacha20-poly1305@openssh.com";
    public const string Aes256Gcm = "aes256-gcm@openssh.com";
    public const string Aes128Gcm = "aes128-gcm@openssh.com";
    public const string Aes256Ctr = "aes256-ctr";
    public const string HmacSha256Etm = "hmac-sha2-256-etm@openssh.com";

    public static readonly IReadOnlyList<string> All = [ChaCha20Poly1305, Aes256Gcm, Aes128Gcm, Aes256Ctr];

    public static readonly IReadOnlyList<string> Macs = [HmacSha256Etm];

    /// <summary>True when the cipher authenticates by itself, so the negotiated MAC is not used.</summary>
    internal static bool IsAead(string cipher) => cipher != Aes256Ctr;

    internal static (int Key, int Iv, int Mac) KeySizes(string cipher) => cipher switch
    {
        ChaCha20Poly1305 => (64, 0, 0),
        Aes256Gcm => (32, 12, 0),
        Aes128Gcm => (16, 12, 0),
        Aes256Ctr => (32, 16, 32),
        _ => throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"Unsupported cipher '{cipher}'"),
    };

    internal static PacketCipher Create(string cipher, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey) => cipher switch
    {
        ChaCha20Poly1305 => new ChaCha20Poly1305Cipher(key),
        Aes256Gcm or Aes128Gcm => new AesGcmCipher(key, iv),
        Aes256Ctr => new AesCtrHmacEtmCipher(key, iv, macKey),
        _ => throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"Unsupported cipher '{cipher}'"),
    };
}
