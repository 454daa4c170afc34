using System.Buffers;
using System.Text.Unicode;

namespace Custos.Core.Audit;

/// <summary>
/// Recognises an export event line laid out exactly as <see cref="AuditChain.WriteCanonical"/> writes it: the twelve
/// members in JCS order with no whitespace, <c>seq</c> as plain decimal digits, both hashes as 64 lowercase hex digits,
/// strings escaped only as JCS escapes them and every other value a strict, unspaced JSON value (RFC 8259 grammar; the
/// shortest-number rule of JCS is not checked: both paths hash the line's bytes as they are). It is only a shortcut: a
/// line it does not recognise (reordered or extra members, whitespace, other escapes, uppercase hex, invalid UTF-8,
/// deep nesting, …) is left to the general JSON reader in
/// <see cref="AuditExport.ParseLink"/>, so it must never accept a line the reader would reject or read differently.
/// Everything it accepts is well-formed JSON that the reader accepts too, with the same <c>seq</c>, hashes and
/// hashed bytes.
/// </summary>
internal static class CanonicalEventLine
{
    /// <summary>Nesting accepted inside a member's value; deeper values go to the reader (its limit is 64).</summary>
    private const int MaxDepth = 16;

    /// <summary><c>,"hash":"</c> + 64 hex digits + <c>"</c>: what is cut out of the line before hashing.</summary>
    internal const int HashMemberLength = 9 + 64 + 1;

    /// <summary>Bytes that end the plain run of a JSON string: the quote, the backslash and control characters.</summary>
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"u8);

    /// <summary>Where the parts of a recognised line are.</summary>
    internal readonly record struct Layout(long Seq, int HashMemberStart, int HashHexStart, int PrevHexStart);

    /// <summary>True, with the layout, when <paramref name="line"/> is exactly in the form Custos writes.</summary>
    public static bool TryMatch(ReadOnlySpan<byte> line, out Layout layout)
    {
        layout = default;
        if (!Utf8.IsValid(line)) return false;
        var at = 0;
        if (!Member(line, ref at, "{\"actor\":"u8)) return false;
        if (!Member(line, ref at, ",\"details\":"u8)) return false;
        var hashMember = at;
        if (!Literal(line, ref at, ",\"hash\":\""u8) || !Hex(line, ref at)) return false;
        if (!Member(line, ref at, "\",\"outcome\":"u8)) return false;
        if (!Literal(line, ref at, ",\"prev_hash\":\""u8)) return false;
        var prevHex = at;
        if (!Hex(line, ref at)) return false;
        if (!Member(line, ref at, "\",\"reason\":"u8) || !Member(line, ref at, ",\"request_id\":"u8)) return false;
        if (!Literal(line, ref at, ",\"seq\":"u8) || !Digits(line, ref at, out var seq)) return false;
        if (!Member(line, ref at, ",\"source\":"u8) || !Member(line, ref at, ",\"target\":"u8)
            || !Member(line, ref at, ",\"time\":"u8) || !Member(line, ref at, ",\"type\":"u8)) return false;
        if (at != line.Length - 1 || line[at] != (byte)'}') return false;
        layout = new Layout(seq, hashMember, hashMember + 9, prevHex);
        return true;
    }

    /// <summary>Decodes 64 hex digits (already checked by <see cref="TryMatch"/>) into 32 bytes.</summary>
    public static void DecodeHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        for (var i = 0; i < AuditChain.HashSize; i++)
            destination[i] = (byte)((LowerHexValue(hex[2 * i]) << 4) | LowerHexValue(hex[(2 * i) + 1]));
    }

    private static bool Member(ReadOnlySpan<byte> line, ref int at, ReadOnlySpan<byte> name) =>
        Literal(line, ref at, name) && Value(line, ref at, 0);

    private static bool Literal(ReadOnlySpan<byte> line, ref int at, ReadOnlySpan<byte> literal)
    {
        if (!line[at..].StartsWith(literal)) return false;
        at += literal.Length;
        return true;
    }

    /// <summary>64 lowercase hex digits followed by the closing quote.</summary>
    private static bool Hex(ReadOnlySpan<byte> line, ref int at)
    {
        if (line.Length - at < 65 || line[at + 64] != (byte)'"') return false;
        foreach (var c in line.Slice(at, 64))
        {
            if (LowerHexValue(c) < 0) return false;
        }
        at += 64;
        return true;
    }

    /// <summary>A non-negative decimal without sign or leading zero that surely fits a long (at most 18 digits).</summary>
    private static bool Digits(ReadOnlySpan<byte> line, ref int at, out long value)
    {
        value = 0;
        var start = at;
        while (at < line.Length && line[at] - (uint)'0' <= 9 && at - start < 19)
        {
            value = (value * 10) + (line[at] - '0');
            at++;
        }
        var length = at - start;
        return length is > 0 and <= 18 && (line[start] != (byte)'0' || length == 1);
    }

    /// <summary>One JSON value in the strict grammar of RFC 8259 without whitespace.</summary>
    private static bool Value(ReadOnlySpan<byte> line, ref int at, int depth)
    {
        if (at >= line.Length) return false;
        switch (line[at])
        {
            case (byte)'"':
                return String(line, ref at);
            case (byte)'n':
                return Literal(line, ref at, "null"u8);
            case (byte)'t':
                return Literal(line, ref at, "true"u8);
            case (byte)'f':
                return Literal(line, ref at, "false"u8);
            case (byte)'{':
                return depth < MaxDepth && Object(line, ref at, depth + 1);
            case (byte)'[':
                return depth < MaxDepth && Array(line, ref at, depth + 1);
            default:
                return Number(line, ref at);
        }
    }

    private static bool Object(ReadOnlySpan<byte> line, ref int at, int depth)
    {
        at++;
        if (at < line.Length && line[at] == (byte)'}')
        {
            at++;
            return true;
        }
        while (true)
        {
            if (at >= line.Length || line[at] != (byte)'"' || !String(line, ref at)) return false;
            if (at >= line.Length || line[at] != (byte)':') return false;
            at++;
            if (!Value(line, ref at, depth) || at >= line.Length) return false;
            var c = line[at++];
            if (c == (byte)'}') return true;
            if (c != (byte)',') return false;
        }
    }

    private static bool Array(ReadOnlySpan<byte> line, ref int at, int depth)
    {
        at++;
        if (at < line.Length && line[at] == (byte)']')
        {
            at++;
            return true;
        }
        while (true)
        {
            if (!Value(line, ref at, depth) || at >= line.Length) return false;
            var c = line[at++];
            if (c == (byte)']') return true;
            if (c != (byte)',') return false;
        }
    }

    /// <summary>
    /// A string: plain runs found with a vectorised search; escapes only as JCS writes them (<c>\" \\ \b \f \n \r \t</c>
    /// and lowercase <c>\u00xx</c> for the other control characters). Any other escape, and raw control characters,
    /// end the match.
    /// </summary>
    private static bool String(ReadOnlySpan<byte> line, ref int at)
    {
        at++;
        while (true)
        {
            var run = line[at..].IndexOfAny(StringStops);
            if (run < 0) return false;
            at += run;
            var c = line[at];
            if (c == (byte)'"')
            {
                at++;
                return true;
            }
            if (c != (byte)'\\' || at + 1 >= line.Length) return false;
            switch (line[at + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    at += 2;
                    break;
                case (byte)'u':
                    if (line.Length - at < 6 || line[at + 2] != (byte)'0' || line[at + 3] != (byte)'0'
                        || line[at + 4] is not ((byte)'0' or (byte)'1') || LowerHexValue(line[at + 5]) < 0) return false;
                    at += 6;
                    break;
                default:
                    return false;
            }
        }
    }

    /// <summary><c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>; what follows is checked by the caller.</summary>
    private static bool Number(ReadOnlySpan<byte> line, ref int at)
    {
        if (at < line.Length && line[at] == (byte)'-') at++;
        if (at >= line.Length) return false;
        if (line[at] == (byte)'0') at++;
        else if (!DigitRun(line, ref at)) return false;
        if (at < line.Length && line[at] == (byte)'.')
        {
            at++;
            if (!DigitRun(line, ref at)) return false;
        }
        if (at < line.Length && (line[at] | 0x20) == (byte)'e')
        {
            at++;
            if (at < line.Length && line[at] is (byte)'+' or (byte)'-') at++;
            if (!DigitRun(line, ref at)) return false;
        }
        return true;
    }

    private static bool DigitRun(ReadOnlySpan<byte> line, ref int at)
    {
        var start = at;
        while (at < line.Length && line[at] - (uint)'0' <= 9) at++;
        return at > start;
    }

    private static int LowerHexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };
}
