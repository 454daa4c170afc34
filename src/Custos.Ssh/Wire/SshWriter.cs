using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Custos.Ssh.Wire;

/// <summary>
/// Writes the RFC 4251 §5 data types into a growable buffer. The buffer is zeroed when it grows and on
/// <see cref="Clear"/>, so serialised private key material does not linger in discarded arrays.
/// </summary>
public sealed class SshWriter : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _length;

    public SshWriter(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>This writer as an <see cref="IBufferWriter{T}"/>, for APIs that write straight into it.</summary>
    public IBufferWriter<byte> BufferWriter => this;

    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Zeroes what was written and resets the length to zero.</summary>
    public void Clear()
    {
        Array.Clear(_buffer, 0, _length);
        _length = 0;
    }

    public void Advance(int count)
    {
        if (count < 0 || _length + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    /// <summary>Starts a string whose length is filled in by <see cref="EndString"/>; returns its position.</summary>
    public int BeginString()
    {
        int position = _length;
        WriteUInt32(0);
        return position;
    }

    /// <summary>Completes a string started with <see cref="BeginString"/>.</summary>
    public void EndString(int position)
    {
        if (position < 0 || position + 4 > _length)
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(position), (uint)(_length - position - 4));
    }

    private void Ensure(int sizeHint)
    {
        int needed = _length + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        byte[] larger = new byte[Math.Max(needed, _buffer.Length * 2)];
        _buffer.AsSpan(0, _length).CopyTo(larger);
        Array.Clear(_buffer);
        _buffer = larger;
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(GetSpan(4), value);
        _length += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(GetSpan(8), value);
        _length += 8;
    }

    /// <summary>Raw bytes without a length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>RFC 4251 §5 string: uint32 length then the bytes.</summary>
    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        WriteRaw(bytes);
    }

    public void WriteUtf8String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)length);
        int written = Encoding.UTF8.GetBytes(value, GetSpan(length));
        _length += written;
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

        WriteRaw(trimmed);
    }

    /// <summary>RFC 4251 §5 name-list: names joined by commas.</summary>
    public void WriteNameList(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        WriteUtf8String(string.Join(',', names));
    }
}
