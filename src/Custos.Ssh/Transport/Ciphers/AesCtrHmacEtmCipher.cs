using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Custos.Ssh.Transport.Ciphers;

/// <summary>
/// aes256-ctr (RFC 4344 §4) with hmac-sha2-256-etm@openssh.com (OpenSSH PROTOCOL §1.5): packet_length stays
/// in clear, the body is encrypted, and the MAC is computed over sequence number, length and ciphertext.
/// </summary>
internal sealed class AesCtrHmacEtmCipher : PacketCipher
{
    private const int KeystreamBlocks = 2048;
    private readonly Aes _aes;
    private readonly byte[] _counter;
    private readonly byte[] _counterBlocks = new byte[16 * KeystreamBlocks];
    private readonly byte[] _keystream = new byte[16 * KeystreamBlocks];
    private readonly IncrementalHash _mac;
    private readonly byte[] _expectedMac = new byte[32];

    public AesCtrHmacEtmCipher(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _counter = iv[..16].ToArray();
        _mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
    }

    public override int BlockSize => 16;
    public override int TagLength => 32;

    public override void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        Transform(packet[4..]);
        ComputeMac(sequenceNumber, packet, tag);
    }

    public override uint ReadLength(uint sequenceNumber, ReadOnlySpan<byte> lengthField) =>
        BinaryPrimitives.ReadUInt32BigEndian(lengthField);

    public override void Open(uint sequenceNumber, Span<byte> packet, ReadOnlySpan<byte> tag)
    {
        ComputeMac(sequenceNumber, packet, _expectedMac);
        if (!CryptographicOperations.FixedTimeEquals(_expectedMac, tag[..32]))
        {
            throw BadMac();
        }
        Transform(packet[4..]);
    }

    private void ComputeMac(uint sequenceNumber, ReadOnlySpan<byte> packet, Span<byte> mac)
    {
        Span<byte> seq = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(seq, sequenceNumber);
        _mac.AppendData(seq);
        _mac.AppendData(packet);
        _mac.GetHashAndReset(mac);
    }

    // The body is always a whole number of 16-byte blocks (padding rule), so no keystream is carried over.
    private void Transform(Span<byte> data)
    {
        if (data.Length % 16 != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Packet body is not a multiple of the cipher block size");
        }
        while (!data.IsEmpty)
        {
            var blocks = Math.Min(KeystreamBlocks, data.Length / 16);
            for (var i = 0; i < blocks; i++)
            {
                _counter.CopyTo(_counterBlocks, i * 16);
                IncrementCounter();
            }
            var bytes = blocks * 16;
            _aes.EncryptEcb(_counterBlocks.AsSpan(0, bytes), _keystream.AsSpan(0, bytes), PaddingMode.None);
            var chunk = data[..bytes];
            XorInPlace(chunk, _keystream.AsSpan(0, bytes));
            data = data[bytes..];
        }
    }

    private static void XorInPlace(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        var width = System.Numerics.Vector<byte>.Count;
        for (; i + width <= data.Length; i += width)
        {
            var v = new System.Numerics.Vector<byte>(data[i..]) ^ new System.Numerics.Vector<byte>(keystream[i..]);
            v.CopyTo(data[i..]);
        }
        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }

    private void IncrementCounter()
    {
        for (var i = 15; i >= 0; i--)
        {
            if (++_counter[i] != 0)
            {
                break;
            }
        }
    }

    public override void Dispose()
    {
        _aes.Dispose();
        _mac.Dispose();
        base.Dispose();
    }
}
