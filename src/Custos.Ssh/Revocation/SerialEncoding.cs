using Custos.Ssh.Wire;

namespace Custos.Ssh.Revocation;

/// <summary>
/// Chooses compact KRL certificate subsections for a set of serials: runs of three or more become range
/// sections, dense clusters of isolated serials become bitmaps, and the rest a serial list (PROTOCOL.krl §2.1–2.3).
/// </summary>
internal static class SerialEncoding
{
    private const int RangeThreshold = 3;
    private const ulong MaxBitmapGap = 64;

    public static void Write(SshWriter writer, SerialSet serials)
    {
        List<(ulong First, ulong Last)> runs = SerialSet.Merge(serials.Ranges.Concat(serials.Bitmaps.SelectMany(Runs)));
        var singles = new List<ulong>();
        foreach ((ulong first, ulong last) in runs)
        {
            if (last - first >= RangeThreshold - 1)
            {
                writer.WriteByte(KeyRevocationList.CertSerialRange);
                writer.WriteUInt32(16);
                writer.WriteUInt64(first);
                writer.WriteUInt64(last);
            }
            else
            {
                for (ulong serial = first; ; serial++)
                {
                    singles.Add(serial);
                    if (serial == last)
                    {
                        break;
                    }
                }
            }
        }

        var listed = new List<ulong>();
        int i = 0;
        while (i < singles.Count)
        {
            int j = i;
            while (j + 1 < singles.Count && singles[j + 1] - singles[j] <= MaxBitmapGap)
            {
                j++;
            }

            int count = j - i + 1;
            ulong span = singles[j] - singles[i] + 1;
            ulong bitmapCost = 18 + (span + 7) / 8;
            if (count >= RangeThreshold && bitmapCost < 8UL * (ulong)count)
            {
                WriteBitmap(writer, singles, i, j);
            }
            else
            {
                listed.AddRange(singles.GetRange(i, count));
            }

            i = j + 1;
        }

        if (listed.Count > 0)
        {
            writer.WriteByte(KeyRevocationList.CertSerialList);
            writer.WriteUInt32((uint)(listed.Count * 8));
            foreach (ulong serial in listed)
            {
                writer.WriteUInt64(serial);
            }
        }
    }

    private static void WriteBitmap(SshWriter writer, List<ulong> singles, int from, int to)
    {
        ulong offset = singles[from];
        byte[] bits = new byte[(int)((singles[to] - offset) / 8) + 1];
        for (int k = from; k <= to; k++)
        {
            ulong bit = singles[k] - offset;
            bits[bits.Length - 1 - (int)(bit / 8)] |= (byte)(1 << (int)(bit % 8));
        }

        writer.WriteByte(KeyRevocationList.CertSerialBitmap);
        int start = writer.BeginString();
        writer.WriteUInt64(offset);
        writer.WriteMpint(bits);
        writer.EndString(start);
    }

    /// <summary>The runs of consecutive set bits in a bitmap, as inclusive serial ranges.</summary>
    private static IEnumerable<(ulong First, ulong Last)> Runs(SerialBitmap bitmap)
    {
        ulong? runStart = null;
        for (ulong bit = 0; bit < bitmap.BitCount; bit++)
        {
            bool set = bitmap.Contains(bitmap.Offset + bit);
            if (set && runStart is null)
            {
                runStart = bitmap.Offset + bit;
            }
            else if (!set && runStart is not null)
            {
                yield return (runStart.Value, bitmap.Offset + bit - 1);
                runStart = null;
            }
        }

        if (runStart is not null)
        {
            yield return (runStart.Value, bitmap.Offset + bitmap.BitCount - 1);
        }
    }
}
