using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Custos.Ssh.Transport.Ciphers;

/// <summary>
/// aes128-gcm@openssh.com / aes256-gcm@openssh.com (RFC 5647 as amended by OpenSSH PROTOCOL §1.6):
/// packet_length is sent in clear as additional authenticated data, the 12-byte nonce is the derived IV
/// whose last 8 bytes are an invocation counter incremented after every packet.
/// </summary>
internal sealed class AesGcmCipher : PacketCipher
{
    private readonly AesGcm _aes;
    private readonly byte[] _nonce;

    public AesGcmCipher(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        _aes = new AesGcm(key, 16);
        _nonce = iv[..12].ToArray();
    }

    public override int BlockSize => 16;
    public override int TagLength => 16;

    public override void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        var body = packet[4..];
        _aes.Encrypt(_nonce, body, body, tag, packet[..4]);
        IncrementCounter();
    }

    public override uint ReadLength(uint sequenceNumber, ReadOnlySpan<byte> lengthField) =>
        BinaryPrimitives.ReadUInt32BigEndian(lengthField);

    public override void Open(uint sequenceNumber, Span<byte> packet, ReadOnlySpan<byte> tag)
    {
        var body = packet[4..];
        try
        {
            _aes.Decrypt(_nonce, body, tag, body, packet[..4]);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw BadMac();
        }
        IncrementCounter();
    }

    private void IncrementCounter()
    {
        var counter = _nonce.AsSpan(4);
        BinaryPrimitives.WriteUInt64BigEndian(counter, BinaryPrimitives.ReadUInt64BigEndian(counter) + 1);
    }

    public override void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
        base.Dispose();
    }
}
