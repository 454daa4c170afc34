using Custos.Ssh.Wire;

namespace Custos.Ssh.Revocation;

/// <summary>
/// Revoked certificate serials for one CA: merged inclusive ranges (from serial list and range sections)
/// plus bitmaps kept as bitmaps, so a hostile bitmap cannot inflate memory beyond its own size.
/// Lookups are binary searches.
/// </summary>
internal sealed class SerialSet
{
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly SerialBitmap[] _bitmaps;
    private readonly ulong[] _bitmapMaxEnds;

    public SerialSet(IEnumerable<(ulong First, ulong Last)> ranges, IEnumerable<SerialBitmap> bitmaps)
    {
        List<(ulong First, ulong Last)> merged = Merge(ranges);
        _starts = [.. merged.Select(r => r.First)];
        _ends = [.. merged.Select(r => r.Last)];
        _bitmaps = [.. bitmaps.OrderBy(b => b.Offset)];
        _bitmapMaxEnds = new ulong[_bitmaps.Length];
        ulong max = 0;
        for (int i = 0; i < _bitmaps.Length; i++)
        {
            max = Math.Max(max, _bitmaps[i].Last);
            _bitmapMaxEnds[i] = max;
        }
    }

    public IReadOnlyList<(ulong First, ulong Last)> Ranges => [.. _starts.Zip(_ends)];

    public IReadOnlyList<SerialBitmap> Bitmaps => _bitmaps;

    public bool IsEmpty => _starts.Length == 0 && _bitmaps.Length == 0;

    public bool Contains(ulong serial)
    {
        int index = Array.BinarySearch(_starts, serial);
        if (index >= 0)
        {
            return true;
        }

        index = ~index - 1;
        if (index >= 0 && serial <= _ends[index])
        {
            return true;
        }

        return _bitmaps.Length > 0 && BitmapsContain(serial);
    }

    private bool BitmapsContain(ulong serial)
    {
        int low = 0;
        int high = _bitmaps.Length - 1;
        int last = -1;
        while (low <= high)
        {
            int mid = (low + high) >>> 1;
            if (_bitmaps[mid].Offset <= serial)
            {
                last = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        for (int i = last; i >= 0 && _bitmapMaxEnds[i] >= serial; i--)
        {
            if (_bitmaps[i].Contains(serial))
            {
                return true;
            }
        }

        return false;
    }

    internal static List<(ulong First, ulong Last)> Merge(IEnumerable<(ulong First, ulong Last)> ranges)
    {
        var merged = new List<(ulong First, ulong Last)>();
        foreach ((ulong first, ulong last) in ranges.OrderBy(r => r.First))
        {
            if (merged.Count > 0 && (merged[^1].Last == ulong.MaxValue || first <= merged[^1].Last + 1))
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, last));
            }
            else
            {
                merged.Add((first, last));
            }
        }

        return merged;
    }
}

/// <summary>A KRL_SECTION_CERT_SERIAL_BITMAP: bit N of the mpint revokes serial <c>Offset + N</c>.</summary>
internal sealed class SerialBitmap
{
    private readonly byte[] _bits;

    /// <param name="bits">Big-endian magnitude of the mpint; its lowest bit is serial <paramref name="offset"/>.</param>
    public SerialBitmap(ulong offset, byte[] bits)
    {
        Offset = offset;
        _bits = bits;
        BitCount = BitLength(bits);
        Last = BitCount == 0 ? offset : offset + (BitCount - 1);
    }

    /// <summary>Index of the highest set bit plus one (the mpint is minimal, so its top byte is non-zero).</summary>
    public ulong BitCount { get; }

    private static ulong BitLength(byte[] bits) =>
        bits.Length == 0 ? 0 : ((ulong)bits.Length - 1) * 8 + (ulong)(32 - System.Numerics.BitOperations.LeadingZeroCount((uint)bits[0]));

    public ulong Offset { get; }

    /// <summary>The highest serial the bitmap can cover.</summary>
    public ulong Last { get; }

    public ReadOnlySpan<byte> Bits => _bits;

    public bool Contains(ulong serial)
    {
        if (serial < Offset || serial > Last || _bits.Length == 0)
        {
            return false;
        }

        ulong bit = serial - Offset;
        int byteIndex = _bits.Length - 1 - (int)(bit / 8);
        return (_bits[byteIndex] & (1 << (int)(bit % 8))) != 0;
    }

    /// <summary>Checks the PROTOCOL.krl constraints OpenSSH enforces: no serial 0 and no wrap past 2^64.</summary>
    public static SerialBitmap Read(ref SshReader reader)
    {
        ulong offset = reader.ReadUInt64();
        byte[] bits = reader.ReadMpint().ToArray();
        var bitmap = new SerialBitmap(offset, bits);
        if (bitmap.BitCount > 0 && bitmap.BitCount - 1 > ulong.MaxValue - offset)
        {
            throw new SshFormatException("A KRL serial bitmap wraps past the largest serial number.");
        }

        if (offset == 0 && bits.Length > 0 && (bits[^1] & 1) != 0)
        {
            throw new SshFormatException("A KRL serial bitmap revokes serial 0, which is not allowed.");
        }

        return bitmap;
    }
}
