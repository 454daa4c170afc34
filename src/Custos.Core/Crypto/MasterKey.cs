using System.Security.Cryptography;

namespace Custos.Core.Crypto;

/// <summary>
/// The per-installation key that wraps every data key (envelope encryption, DESIGN.md "Storage"). It comes from a
/// 0600 file or the CUSTOS_MASTER_KEY environment variable, as base64 of 32 random bytes.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const int Size = 32;
    private readonly byte[] _key;

    private MasterKey(byte[] key) => _key = key;

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    public static MasterKey Parse(string text, string origin)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{origin}: master key is not valid base64");
        }
        if (bytes.Length != Size)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new InvalidOperationException($"{origin}: master key must be {Size} bytes, found {bytes.Length}");
        }
        return new MasterKey(bytes);
    }

    public string Export() => Convert.ToBase64String(_key);

    internal ReadOnlySpan<byte> Bytes => _key;

    /// <summary>
    /// A key for one purpose derived from the master key (HKDF-SHA256, the purpose as info), so every instance sharing
    /// the master key derives the same one and the master key itself is never used for two things.
    /// </summary>
    public byte[] DeriveKey(string purpose, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: [], info: System.Text.Encoding.UTF8.GetBytes(purpose));

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
