using System.Buffers.Binary;
using System.Text;

namespace Custos.Ssh.Wire;

/// <summary>
/// Reads the RFC 4251 §5 data types from a span. Every read checks the remaining length first, so
/// truncated or over-long input raises <see cref="SshFormatException"/> and nothing is allocated
/// beyond what the input itself holds.
/// </summary>
public ref struct SshReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private ReadOnlySpan<byte> _remaining;

    public SshReader(ReadOnlySpan<byte> data) => _remaining = data;

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _remaining.Length;

    public readonly bool IsEmpty => _remaining.IsEmpty;

    /// <summary>The bytes not read yet, without consuming them.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _remaining;

    public byte ReadByte()
    {
        if (_remaining.IsEmpty)
        {
            throw Truncated("byte", 1);
        }

        byte value = _remaining[0];
        _remaining = _remaining[1..];
        return value;
    }

    /// <summary>RFC 4251 §5 boolean: any non-zero value is true.</summary>
    public bool ReadBoolean() => ReadByte() != 0;

    public uint ReadUInt32()
    {
        if (_remaining.Length < 4)
        {
            throw Truncated("uint32", 4);
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(_remaining);
        _remaining = _remaining[4..];
        return value;
    }

    public ulong ReadUInt64()
    {
        if (_remaining.Length < 8)
        {
            throw Truncated("uint64", 8);
        }

        ulong value = BinaryPrimitives.ReadUInt64BigEndian(_remaining);
        _remaining = _remaining[8..];
        return value;
    }

    /// <summary>Reads <paramref name="count"/> raw bytes (no length prefix).</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _remaining.Length)
        {
            throw Truncated($"{count}-byte field", count);
        }

        ReadOnlySpan<byte> value = _remaining[..count];
        _remaining = _remaining[count..];
        return value;
    }

    /// <summary>RFC 4251 §5 string: uint32 length then that many bytes. The length is checked against the input.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        uint length = ReadUInt32();
        if (length > (uint)_remaining.Length)
        {
            throw new SshFormatException($"String length {length} exceeds the {_remaining.Length} bytes remaining.");
        }

        ReadOnlySpan<byte> value = _remaining[..(int)length];
        _remaining = _remaining[(int)length..];
        return value;
    }

    /// <summary>Reads a string and decodes it as strict UTF-8 (invalid sequences are a format error).</summary>
    public string ReadUtf8String()
    {
        return DecodeUtf8(ReadString());
    }

    /// <summary>Decodes strict UTF-8, raising <see cref="SshFormatException"/> for invalid sequences.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (ArgumentException ex)
        {
            throw new SshFormatException("String is not valid UTF-8.", ex);
        }
    }

    /// <summary>
    /// RFC 4251 §5 mpint, restricted to non-negative values in minimal form (as OpenSSH requires).
    /// Returns the unsigned big-endian magnitude without the sign-padding zero byte (empty for zero).
    /// </summary>
    public ReadOnlySpan<byte> ReadMpint()
    {
        ReadOnlySpan<byte> raw = ReadString();
        if (raw.IsEmpty)
        {
            return raw;
        }

        if ((raw[0] & 0x80) != 0)
        {
            throw new SshFormatException("Negative mpint where a non-negative value is required.");
        }

        if (raw[0] == 0)
        {
            if (raw.Length == 1 || (raw[1] & 0x80) == 0)
            {
                throw new SshFormatException("Mpint is not in minimal form (superfluous leading zero).");
            }

            return raw[1..];
        }

        return raw;
    }

    /// <summary>RFC 4251 §5 name-list: comma-separated, non-empty US-ASCII names.</summary>
    public string[] ReadNameList()
    {
        ReadOnlySpan<byte> raw = ReadString();
        if (raw.IsEmpty)
        {
            return [];
        }

        foreach (byte b in raw)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                throw new SshFormatException("Name-list contains a non-printable or non-ASCII character.");
            }
        }

        string[] names = Encoding.ASCII.GetString(raw).Split(',');
        if (Array.Exists(names, n => n.Length == 0))
        {
            throw new SshFormatException("Name-list contains an empty name.");
        }

        return names;
    }

    /// <summary>Throws unless every byte has been consumed.</summary>
    public readonly void EnsureEnd(string what = "structure")
    {
        if (!_remaining.IsEmpty)
        {
            throw new SshFormatException($"{_remaining.Length} unexpected trailing bytes after the {what}.");
        }
    }

    private readonly SshFormatException Truncated(string what, int needed) =>
        new($"Truncated data: a {what} needs {needed} bytes but only {_remaining.Length} remain.");
}
