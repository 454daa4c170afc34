namespace Custos.Ssh.Transport.Ciphers;

/// <summary>
/// Protects SSH binary packets in one direction (RFC 4253 §6). Every construction Custos speaks keeps the
/// 4-byte packet_length separate from the body (plain for none/GCM/EtM, separately encrypted for
/// chacha20-poly1305), so the decoder always reads 4 bytes, learns the length, then reads body and tag.
/// </summary>
internal abstract class PacketCipher : IDisposable
{
    /// <summary>Padding alignment (RFC 4253 §6: at least 8).</summary>
    public abstract int BlockSize { get; }

    /// <summary>Bytes of authentication tag or MAC after the packet.</summary>
    public abstract int TagLength { get; }

    /// <summary>True if the 4-byte length field counts towards the padding alignment (only for 'none').</summary>
    public virtual bool LengthIsPadded => false;

    /// <summary>Encrypts <paramref name="packet"/> (packet_length + body) in place and writes the tag.</summary>
    public abstract void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag);

    /// <summary>Recovers packet_length from the first 4 bytes received (without changing them).</summary>
    public abstract uint ReadLength(uint sequenceNumber, ReadOnlySpan<byte> lengthField);

    /// <summary>
    /// Verifies the tag and decrypts the body of <paramref name="packet"/> (packet_length + body) in place.
    /// Throws <see cref="SshProtocolException"/> with <see cref="DisconnectReason.MacError"/> on a bad tag.
    /// </summary>
    public abstract void Open(uint sequenceNumber, Span<byte> packet, ReadOnlySpan<byte> tag);

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }

    protected static SshProtocolException BadMac() => new(DisconnectReason.MacError, "Packet authentication failed");
}

/// <summary>The 'none' cipher used before the first NEWKEYS.</summary>
internal sealed class NoneCipher : PacketCipher
{
    public static readonly NoneCipher Instance = new();

    public override int BlockSize => 8;
    public override int TagLength => 0;
    public override bool LengthIsPadded => true;

    public override void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
    }

    public override uint ReadLength(uint sequenceNumber, ReadOnlySpan<byte> lengthField) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(lengthField);

    public override void Open(uint sequenceNumber, Span<byte> packet, ReadOnlySpan<byte> tag)
    {
    }
}
