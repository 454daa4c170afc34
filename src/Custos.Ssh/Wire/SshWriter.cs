using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Custos.Ssh.Wire;

/// <summary>
/// Writes the RFC 4251 §5 data types into a growable buffer. <see cref="Clear"/> zeroes the buffer,
/// which callers use after serialising private key material.
/// </summary>
public sealed class SshWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public SshWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(Math.Max(16, initialCapacity));

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    /// <summary>The underlying buffer writer, for APIs that write straight into it.</summary>
    public IBufferWriter<byte> BufferWriter => _buffer;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Zeroes what was written and resets the length to zero.</summary>
    public void Clear() => _buffer.Clear();

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>Raw bytes without a length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>RFC 4251 §5 string: uint32 length then the bytes.</summary>
    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        _buffer.Write(bytes);
    }

    public void WriteUtf8String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)length);
        int written = Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(written);
    }

    /// <summary>
    /// RFC 4251 §5 mpint from an unsigned big-endian magnitude: leading zeros are dropped and a zero
    /// byte is prepended when the top bit is set, so the value stays positive.
    /// </summary>
    public void WriteMpint(ReadOnlySpan<byte> magnitude)
    {
        int start = 0;
        while (start < magnitude.Length && magnitude[start] == 0)
        {
            start++;
        }

        ReadOnlySpan<byte> trimmed = magnitude[start..];
        bool pad = !trimmed.IsEmpty && (trimmed[0] & 0x80) != 0;
        WriteUInt32((uint)(trimmed.Length + (pad ? 1 : 0)));
        if (pad)
        {
            WriteByte(0);
        }

        _buffer.Write(trimmed);
    }

    /// <summary>RFC 4251 §5 name-list: names joined by commas.</summary>
    public void WriteNameList(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        WriteUtf8String(string.Join(',', names));
    }
}
