using System.Security.Cryptography;

namespace Custos.Ssh.Certificates;

/// <summary>
/// Certificate nonces (PROTOCOL.certkeys: random, to defeat chosen-prefix hash attacks) drawn from the OS
/// CSPRNG in 4 KiB blocks per thread, so issuing a certificate costs one random call per 128 certificates.
/// </summary>
internal static class NonceSource
{
    private const int NonceLength = 32;
    private const int BlockLength = 4096;

    [ThreadStatic]
    private static byte[]? _block;

    [ThreadStatic]
    private static int _used;

    public static byte[] Next()
    {
        byte[]? block = _block;
        if (block is null || _used + NonceLength > BlockLength)
        {
            block = _block ??= new byte[BlockLength];
            RandomNumberGenerator.Fill(block);
            _used = 0;
        }

        byte[] nonce = block.AsSpan(_used, NonceLength).ToArray();
        CryptographicOperations.ZeroMemory(block.AsSpan(_used, NonceLength));
        _used += NonceLength;
        return nonce;
    }
}
