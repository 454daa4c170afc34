using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Custos.Ssh.Transport.Ciphers;

namespace Custos.Ssh.Transport;

/// <summary>
/// RFC 4253 §6 binary packet framing for one direction pair over a stream: padding rules, the 35,000-byte
/// cap, sequence numbers, and the current <see cref="PacketCipher"/> of each direction. Not thread-safe: the
/// transport serialises writers and has a single reader.
/// </summary>
internal sealed class PacketCodec : IDisposable
{
    /// <summary>RFC 4253 §6.1: total packet size all implementations must accept.</summary>
    public const int MaxPacketLength = 35_000;

    /// <summary>Largest payload we put in one packet (RFC 4253 §6.1 uncompressed payload limit).</summary>
    public const int MaxPayloadLength = 32_768 + 256;

    private const int MinPadding = 4;
    private readonly Stream _stream;
    private readonly byte[] _receiveBuffer = new byte[MaxPacketLength + 4 + 64];
    private int _receiveStart;
    private int _receiveEnd;
    private byte[] _sendBuffer = new byte[MaxPacketLength + 4 + 64];

    public PacketCodec(Stream stream) => _stream = stream;

    public PacketCipher SendCipher { get; private set; } = NoneCipher.Instance;
    public PacketCipher ReceiveCipher { get; private set; } = NoneCipher.Instance;
    public uint SendSequence { get; private set; }
    public uint ReceiveSequence { get; private set; }

    /// <summary>True once the receive sequence number wrapped around (fatal during a strict first exchange).</summary>
    public bool ReceiveSequenceWrapped { get; private set; }
    public bool SendSequenceWrapped { get; private set; }
    public long BytesSent { get; set; }
    public long BytesReceived { get; set; }

    /// <summary>Bytes read from the stream before the first packet (the rest of the version exchange).</summary>
    public void Preload(ReadOnlySpan<byte> data)
    {
        data.CopyTo(_receiveBuffer.AsSpan(_receiveEnd));
        _receiveEnd += data.Length;
    }

    public void SetSendCipher(PacketCipher cipher, bool resetSequence)
    {
        if (!ReferenceEquals(SendCipher, NoneCipher.Instance))
        {
            SendCipher.Dispose();
        }
        SendCipher = cipher;
        if (resetSequence)
        {
            SendSequence = 0;
        }
    }

    public void SetReceiveCipher(PacketCipher cipher, bool resetSequence)
    {
        if (!ReferenceEquals(ReceiveCipher, NoneCipher.Instance))
        {
            ReceiveCipher.Dispose();
        }
        ReceiveCipher = cipher;
        if (resetSequence)
        {
            ReceiveSequence = 0;
        }
    }

    /// <summary>Frames, protects and writes one payload. Returns bytes written.</summary>
    public async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var length = Encode(payload.Span);
        await _stream.WriteAsync(_sendBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        return length;
    }

    /// <summary>Frames and protects a payload into the send buffer; returns the number of bytes to write.</summary>
    internal int Encode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayloadLength)
        {
            throw new InvalidOperationException($"Payload of {payload.Length} bytes exceeds the {MaxPayloadLength}-byte limit");
        }
        var cipher = SendCipher;
        var blockSize = cipher.BlockSize;
        var aligned = 1 + payload.Length + (cipher.LengthIsPadded ? 4 : 0);
        var padding = blockSize - (aligned % blockSize);
        if (padding < MinPadding)
        {
            padding += blockSize;
        }
        var packetLength = 1 + payload.Length + padding;
        var total = 4 + packetLength + cipher.TagLength;
        if (_sendBuffer.Length < total)
        {
            _sendBuffer = new byte[total];
        }
        var packet = _sendBuffer.AsSpan(0, 4 + packetLength);
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)packetLength);
        packet[4] = (byte)padding;
        payload.CopyTo(packet[5..]);
        RandomNumberGenerator.Fill(packet[(5 + payload.Length)..]);
        cipher.Seal(SendSequence, packet, _sendBuffer.AsSpan(4 + packetLength, cipher.TagLength));
        SendSequence = unchecked(SendSequence + 1);
        if (SendSequence == 0)
        {
            SendSequenceWrapped = true;
        }
        BytesSent += total;
        return total;
    }

    /// <summary>
    /// Reads, authenticates and decrypts the next packet. The returned payload aliases the receive buffer
    /// and stays valid only until the next call. Returns an empty memory at end of stream.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken)
    {
        var cipher = ReceiveCipher;
        if (!await FillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var packetLength = cipher.ReadLength(ReceiveSequence, _receiveBuffer.AsSpan(_receiveStart, 4));
        ValidateLength(packetLength, cipher);
        var total = 4 + (int)packetLength + cipher.TagLength;
        if (!await FillAsync(total, cancellationToken).ConfigureAwait(false))
        {
            throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection closed in the middle of a packet");
        }
        var payload = OpenBuffered(total, (int)packetLength, cipher);
        return payload;
    }

    /// <summary>The bytes produced by the last <see cref="Encode"/> (tests and fuzzing).</summary>
    internal ReadOnlySpan<byte> SendBufferForTest => _sendBuffer;

    /// <summary>Decodes one packet from a complete buffer (used by tests and the fuzzer). Returns the payload.</summary>
    internal ReadOnlyMemory<byte> DecodeForTest(ReadOnlySpan<byte> data)
    {
        _receiveStart = 0;
        _receiveEnd = 0;
        if (data.Length > _receiveBuffer.Length)
        {
            data = data[.._receiveBuffer.Length];
        }
        Preload(data);
        if (data.Length < 4)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Truncated packet");
        }
        var cipher = ReceiveCipher;
        var packetLength = cipher.ReadLength(ReceiveSequence, _receiveBuffer.AsSpan(0, 4));
        ValidateLength(packetLength, cipher);
        var total = 4 + (int)packetLength + cipher.TagLength;
        if (data.Length < total)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Truncated packet");
        }
        return OpenBuffered(total, (int)packetLength, cipher);
    }

    private static void ValidateLength(uint packetLength, PacketCipher cipher)
    {
        if (packetLength > MaxPacketLength)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Packet length {packetLength} exceeds {MaxPacketLength}");
        }
        var aligned = packetLength + (cipher.LengthIsPadded ? 4u : 0u);
        if (packetLength < 5 || aligned % (uint)cipher.BlockSize != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Packet length {packetLength} is not a multiple of the block size");
        }
    }

    private ReadOnlyMemory<byte> OpenBuffered(int total, int packetLength, PacketCipher cipher)
    {
        var start = _receiveStart;
        var packet = _receiveBuffer.AsSpan(start, 4 + packetLength);
        cipher.Open(ReceiveSequence, packet, _receiveBuffer.AsSpan(start + 4 + packetLength, cipher.TagLength));
        ReceiveSequence = unchecked(ReceiveSequence + 1);
        if (ReceiveSequence == 0)
        {
            ReceiveSequenceWrapped = true;
        }
        _receiveStart += total;
        BytesReceived += total;
        int padding = packet[4];
        // RFC 4253 §6: at least four bytes of padding, and at least one byte of payload.
        if (padding < MinPadding || padding > packetLength - 2)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Invalid padding length {padding}");
        }
        return _receiveBuffer.AsMemory(start + 5, packetLength - 1 - padding);
    }

    private async ValueTask<bool> FillAsync(int needed, CancellationToken cancellationToken)
    {
        if (_receiveEnd - _receiveStart >= needed)
        {
            return true;
        }
        if (_receiveStart > 0)
        {
            // Move any partial packet to the front; the buffer always holds one maximal packet.
            var remaining = _receiveEnd - _receiveStart;
            Buffer.BlockCopy(_receiveBuffer, _receiveStart, _receiveBuffer, 0, remaining);
            _receiveStart = 0;
            _receiveEnd = remaining;
        }
        while (_receiveEnd < needed)
        {
            var read = await _stream.ReadAsync(_receiveBuffer.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_receiveEnd == 0)
                {
                    return false;
                }
                throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection closed in the middle of a packet");
            }
            _receiveEnd += read;
        }
        return true;
    }

    public void Dispose()
    {
        SetSendCipher(NoneCipher.Instance, false);
        SetReceiveCipher(NoneCipher.Instance, false);
    }
}
