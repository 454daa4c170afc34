using System.Buffers.Binary;

namespace Custos.Ssh.Transport.Ciphers;

/// <summary>
/// One-shot Poly1305 (RFC 8439 §2.5) with three 44/44/42-bit limbs and 128-bit products, the shape of
/// poly1305-donna-64. It replaces BouncyCastle's 26-bit-limb Poly1305 on the chacha20-poly1305 hot path;
/// tests check it against RFC 8439 §2.5.2 and against BouncyCastle on random inputs.
/// </summary>
internal static class Poly1305
{
    private const ulong Mask44 = 0xfffffffffff;
    private const ulong Mask42 = 0x3ffffffffff;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        var t0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        var t1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        // r is clamped as RFC 8439 §2.5 requires.
        var r0 = t0 & 0xffc0fffffff;
        var r1 = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffff;
        var r2 = (t1 >> 24) & 0x00ffffffc0f;
        var s1 = r1 * (5 << 2);
        var s2 = r2 * (5 << 2);
        ulong h0 = 0, h1 = 0, h2 = 0;

        while (message.Length >= 16)
        {
            Block(message, 1UL << 40, ref h0, ref h1, ref h2, r0, r1, r2, s1, s2);
            message = message[16..];
        }
        if (!message.IsEmpty)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            message.CopyTo(last);
            last[message.Length] = 1;
            Block(last, 0, ref h0, ref h1, ref h2, r0, r1, r2, s1, s2);
        }

        // Fully carry h.
        var c = h1 >> 44; h1 &= Mask44;
        h2 += c; c = h2 >> 42; h2 &= Mask42;
        h0 += c * 5; c = h0 >> 44; h0 &= Mask44;
        h1 += c; c = h1 >> 44; h1 &= Mask44;
        h2 += c; c = h2 >> 42; h2 &= Mask42;
        h0 += c * 5; c = h0 >> 44; h0 &= Mask44;
        h1 += c;

        // g = h - p; take g when h >= p, in constant time.
        var g0 = h0 + 5; c = g0 >> 44; g0 &= Mask44;
        var g1 = h1 + c; c = g1 >> 44; g1 &= Mask44;
        var g2 = h2 + c - (1UL << 42);
        c = (g2 >> 63) - 1;
        g0 &= c; g1 &= c; g2 &= c;
        c = ~c;
        h0 = (h0 & c) | g0;
        h1 = (h1 & c) | g1;
        h2 = (h2 & c) | g2;

        // h += s (the second half of the key), mod 2^128.
        t0 = BinaryPrimitives.ReadUInt64LittleEndian(key[16..]);
        t1 = BinaryPrimitives.ReadUInt64LittleEndian(key[24..]);
        h0 += t0 & Mask44; c = h0 >> 44; h0 &= Mask44;
        h1 += (((t0 >> 44) | (t1 << 20)) & Mask44) + c; c = h1 >> 44; h1 &= Mask44;
        h2 += ((t1 >> 24) & Mask42) + c; h2 &= Mask42;

        BinaryPrimitives.WriteUInt64LittleEndian(tag, h0 | (h1 << 44));
        BinaryPrimitives.WriteUInt64LittleEndian(tag[8..], (h1 >> 20) | (h2 << 24));
    }

    private static void Block(ReadOnlySpan<byte> m, ulong hibit, ref ulong h0, ref ulong h1, ref ulong h2, ulong r0, ulong r1, ulong r2, ulong s1, ulong s2)
    {
        var t0 = BinaryPrimitives.ReadUInt64LittleEndian(m);
        var t1 = BinaryPrimitives.ReadUInt64LittleEndian(m[8..]);
        h0 += t0 & Mask44;
        h1 += ((t0 >> 44) | (t1 << 20)) & Mask44;
        h2 += ((t1 >> 24) & Mask42) | hibit;

        ulong d0Hi = 0, d0Lo = 0, d1Hi = 0, d1Lo = 0, d2Hi = 0, d2Lo = 0;
        MultiplyAdd(ref d0Hi, ref d0Lo, h0, r0);
        MultiplyAdd(ref d0Hi, ref d0Lo, h1, s2);
        MultiplyAdd(ref d0Hi, ref d0Lo, h2, s1);
        MultiplyAdd(ref d1Hi, ref d1Lo, h0, r1);
        MultiplyAdd(ref d1Hi, ref d1Lo, h1, r0);
        MultiplyAdd(ref d1Hi, ref d1Lo, h2, s2);
        MultiplyAdd(ref d2Hi, ref d2Lo, h0, r2);
        MultiplyAdd(ref d2Hi, ref d2Lo, h1, r1);
        MultiplyAdd(ref d2Hi, ref d2Lo, h2, r0);

        var c = (d0Lo >> 44) | (d0Hi << 20); h0 = d0Lo & Mask44;
        Add(ref d1Hi, ref d1Lo, c); c = (d1Lo >> 44) | (d1Hi << 20); h1 = d1Lo & Mask44;
        Add(ref d2Hi, ref d2Lo, c); c = (d2Lo >> 42) | (d2Hi << 22); h2 = d2Lo & Mask42;
        h0 += c * 5; c = h0 >> 44; h0 &= Mask44;
        h1 += c;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(ref ulong hi, ref ulong lo, ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var low);
        lo += low;
        hi += high + (lo < low ? 1UL : 0UL);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Add(ref ulong hi, ref ulong lo, ulong value)
    {
        lo += value;
        hi += lo < value ? 1UL : 0UL;
    }
}
