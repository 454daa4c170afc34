using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Custos.Core.Audit;

/// <summary>
/// The audit hash chain: <c>hash = SHA-256(prev_hash ‖ canonical(event))</c>, where canonical is the RFC 8785 JSON of
/// every field except <c>hash</c>. This class writes that canonical form directly from an event's fields (members in
/// JCS order), which is equal to running <see cref="CanonicalJson"/> over the exported JSON object; a test holds the two
/// together. docs/audit.md specifies the encoding for third-party verifiers.
/// </summary>
public static class AuditChain
{
    public const int HashSize = 32;

    /// <summary>The <c>prev_hash</c> of event 1.</summary>
    public static ReadOnlySpan<byte> GenesisHash => new byte[HashSize];

    /// <summary>Time precision of the log: microseconds, what PostgreSQL keeps.</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }

    /// <summary>Length of the event time format.</summary>
    internal const int TimeLength = 27;

    public static string FormatTime(DateTimeOffset time) => string.Create(TimeLength, time, static (span, t) => WriteTime(t, span));

    /// <summary>A stored time (microseconds since the Unix epoch), exactly as the stores convert it.</summary>
    internal static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero);

    /// <summary>The time format as UTF-8 (27 bytes).</summary>
    internal static void WriteTime(DateTimeOffset time, Span<byte> o)
    {
        Span<char> text = stackalloc char[TimeLength];
        WriteTime(time, text);
        for (var i = 0; i < TimeLength; i++) o[i] = (byte)text[i];
    }

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c> (27 characters) without format-string parsing: it is on the append path.</summary>
    private static void WriteTime(DateTimeOffset time, Span<char> o)
    {
        var utc = time.UtcDateTime;
        Digits(o[..4], utc.Year);
        o[4] = '-';
        Digits(o.Slice(5, 2), utc.Month);
        o[7] = '-';
        Digits(o.Slice(8, 2), utc.Day);
        o[10] = 'T';
        Digits(o.Slice(11, 2), utc.Hour);
        o[13] = ':';
        Digits(o.Slice(14, 2), utc.Minute);
        o[16] = ':';
        Digits(o.Slice(17, 2), utc.Second);
        o[19] = '.';
        Digits(o.Slice(20, 6), (int)(utc.Ticks % TimeSpan.TicksPerSecond / 10));
        o[26] = 'Z';
    }

    private static void Digits(Span<char> o, int value)
    {
        for (var i = o.Length - 1; i >= 0; i--)
        {
            o[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    public static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Computes the hash an event must carry, from its fields and its <c>prev_hash</c>.</summary>
    public static byte[] ComputeHash(AuditEvent e)
    {
        var hash = new byte[HashSize];
        var buffer = new ArrayBufferWriter<byte>(512);
        ComputeHash(e, buffer, hash);
        return hash;
    }

    /// <summary>Computes the hash into <paramref name="destination"/>, reusing <paramref name="scratch"/>.</summary>
    public static void ComputeHash(AuditEvent e, ArrayBufferWriter<byte> scratch, Span<byte> destination)
    {
        scratch.ResetWrittenCount();
        CanonicalJson.Append(scratch, e.PrevHash);
        WriteCanonical(e, scratch);
        SHA256.HashData(scratch.WrittenSpan, destination);
    }

    /// <summary>As <see cref="ComputeHash(AuditEvent, ArrayBufferWriter{byte}, Span{byte})"/>, on a reused SHA-256 context.</summary>
    public static void ComputeHash(AuditEvent e, ArrayBufferWriter<byte> scratch, Sha256Context sha, Span<byte> destination)
    {
        scratch.ResetWrittenCount();
        CanonicalJson.Append(scratch, e.PrevHash);
        WriteCanonical(e, scratch);
        sha.Hash(scratch.WrittenSpan, destination);
    }

    /// <summary>
    /// Writes the canonical JSON of the event without its <c>hash</c> member (what is hashed), or with it
    /// (<paramref name="includeHash"/>: an export line, itself canonical).
    /// </summary>
    public static void WriteCanonical(AuditEvent e, IBufferWriter<byte> o, bool includeHash = false)
    {
        // Members in UTF-16 code unit order: actor, details, outcome, prev_hash, reason, request_id, seq, source,
        // target, time, type.
        CanonicalJson.Append(o, "{\"actor\":{\"id\":"u8);
        CanonicalJson.WriteString(e.Actor.Id, o);
        CanonicalJson.Append(o, ",\"kind\":"u8);
        CanonicalJson.WriteString(e.Actor.Kind, o);
        CanonicalJson.Append(o, ",\"name\":"u8);
        CanonicalJson.WriteString(e.Actor.Name, o);
        CanonicalJson.Append(o, "},\"details\":"u8);
        WriteUtf8(e.Details, o);
        if (includeHash)
        {
            CanonicalJson.Append(o, ",\"hash\":\""u8);
            WriteHex(e.Hash, o);
            CanonicalJson.Append(o, "\""u8);
        }
        CanonicalJson.Append(o, ",\"outcome\":"u8);
        CanonicalJson.WriteString(e.Outcome.ToName(), o);
        CanonicalJson.Append(o, ",\"prev_hash\":\""u8);
        WriteHex(e.PrevHash, o);
        CanonicalJson.Append(o, "\",\"reason\":"u8);
        WriteNullableString(e.Reason, o);
        CanonicalJson.Append(o, ",\"request_id\":"u8);
        WriteNullableString(e.RequestId, o);
        CanonicalJson.Append(o, ",\"seq\":"u8);
        WriteInteger(e.Seq, o);
        CanonicalJson.Append(o, ",\"source\":"u8);
        if (e.Source is null)
        {
            CanonicalJson.Append(o, "null"u8);
        }
        else
        {
            CanonicalJson.Append(o, "{\"ip\":"u8);
            WriteNullableString(e.Source.Ip, o);
            CanonicalJson.Append(o, ",\"user_agent\":"u8);
            WriteNullableString(e.Source.UserAgent, o);
            CanonicalJson.Append(o, "}"u8);
        }
        CanonicalJson.Append(o, ",\"target\":"u8);
        WriteNullableString(e.Target, o);
        CanonicalJson.Append(o, ",\"time\":\""u8);
        WriteTime(e.Time, o.GetSpan(TimeLength));
        o.Advance(TimeLength);
        CanonicalJson.Append(o, "\",\"type\":"u8);
        CanonicalJson.WriteString(e.Type, o);
        CanonicalJson.Append(o, "}"u8);
    }

    private static void WriteNullableString(string? value, IBufferWriter<byte> o)
    {
        if (value is null) CanonicalJson.Append(o, "null"u8);
        else CanonicalJson.WriteString(value, o);
    }

    private static void WriteInteger(long value, IBufferWriter<byte> o)
    {
        var span = o.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        o.Advance(written);
    }

    private static void WriteHex(ReadOnlySpan<byte> bytes, IBufferWriter<byte> o)
    {
        var span = o.GetSpan(bytes.Length * 2);
        for (var i = 0; i < bytes.Length; i++)
        {
            span[2 * i] = Hex(bytes[i] >> 4);
            span[(2 * i) + 1] = Hex(bytes[i] & 0xF);
        }
        o.Advance(bytes.Length * 2);
    }

    private static void WriteUtf8(string s, IBufferWriter<byte> o)
    {
        var span = o.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        o.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    private static byte Hex(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);
}
