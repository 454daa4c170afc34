using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Custos.Core.Audit;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by their UTF-16 code units, no
/// whitespace, strings with the minimal ECMAScript escapes, numbers in ECMAScript's shortest form.
/// The audit hash chain is defined over this form, so it must be exact (docs/audit.md).
/// </summary>
public static class CanonicalJson
{
    /// <summary>Canonicalises a JSON text. Throws <see cref="FormatException"/> for invalid JSON or values JCS forbids.</summary>
    public static string Canonicalize(string json)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(16, json.Length));
        Canonicalize(json, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Canonicalises a JSON text into <paramref name="output"/> as UTF-8.</summary>
    public static void Canonicalize(string json, IBufferWriter<byte> output)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                WriteValue(document.RootElement, output);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json refuses escaped lone surrogates when decoding strings; so does JCS.
                throw new FormatException($"invalid JSON string: {e.Message}", e);
            }
        }
    }

    /// <summary>Writes <paramref name="element"/> in canonical form.</summary>
    public static void WriteValue(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                Append(output, "["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) Append(output, ","u8);
                    first = false;
                    WriteValue(item, output);
                }
                Append(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                WriteNumber(element.GetDouble(), output);
                break;
            case JsonValueKind.True:
                Append(output, "true"u8);
                break;
            case JsonValueKind.False:
                Append(output, "false"u8);
                break;
            case JsonValueKind.Null:
                Append(output, "null"u8);
                break;
            default:
                throw new FormatException($"unsupported JSON value kind {element.ValueKind}");
        }
    }

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var members = new List<JsonProperty>();
        foreach (var property in element.EnumerateObject()) members.Add(property);
        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Append(output, "{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Name, members[i].Name, StringComparison.Ordinal))
                    throw new FormatException($"duplicate object member \"{members[i].Name}\"");
                Append(output, ","u8);
            }
            WriteString(members[i].Name, output);
            Append(output, ":"u8);
            WriteValue(members[i].Value, output);
        }
        Append(output, "}"u8);
    }

    /// <summary>Writes a string with JCS escaping: only <c>"</c>, <c>\</c> and control characters are escaped.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        var maxBytes = 2 + (value.Length * 6);
        var span = output.GetSpan(maxBytes);
        var at = 0;
        span[at++] = (byte)'"';
        var runStart = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                    continue;
                }
                throw new FormatException("string contains an unpaired surrogate");
            }
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            at += Encoding.UTF8.GetBytes(value.AsSpan(runStart, i - runStart), span[at..]);
            runStart = i + 1;
            span[at++] = (byte)'\\';
            switch (c)
            {
                case '"': span[at++] = (byte)'"'; break;
                case '\\': span[at++] = (byte)'\\'; break;
                case '\b': span[at++] = (byte)'b'; break;
                case '\f': span[at++] = (byte)'f'; break;
                case '\n': span[at++] = (byte)'n'; break;
                case '\r': span[at++] = (byte)'r'; break;
                case '\t': span[at++] = (byte)'t'; break;
                default:
                    span[at++] = (byte)'u';
                    span[at++] = (byte)'0';
                    span[at++] = (byte)'0';
                    span[at++] = HexDigit(c >> 4);
                    span[at++] = HexDigit(c & 0xF);
                    break;
            }
        }
        at += Encoding.UTF8.GetBytes(value.AsSpan(runStart), span[at..]);
        span[at++] = (byte)'"';
        output.Advance(at);
    }

    /// <summary>Writes a number as ECMAScript's Number.prototype.toString does (RFC 8785 §3.2.2.3).</summary>
    public static void WriteNumber(double value, IBufferWriter<byte> output)
    {
        var text = FormatNumber(value);
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++) span[i] = (byte)text[i];
        output.Advance(text.Length);
    }

    /// <summary>ECMAScript number-to-string for a finite double.</summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value)) throw new FormatException("NaN and infinities are not valid JSON numbers");
        if (value == 0) return "0";
        if (Math.Abs(value) < 9007199254740992 && value == Math.Floor(value))
            return ((long)value).ToString(CultureInfo.InvariantCulture);

        // Shortest round-trip digits, then ECMAScript's layout rules (ECMA-262 Number::toString).
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest[0] == '-';
        var body = negative ? shortest.AsSpan(1) : shortest.AsSpan();
        var exponent = 0;
        var e = body.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            exponent = int.Parse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            body = body[..e];
        }
        var dot = body.IndexOf('.');
        var integerDigits = dot >= 0 ? dot : body.Length;
        var digits = new StringBuilder(body.Length);
        foreach (var ch in body) if (ch != '.') digits.Append(ch);
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0') leading++;
        var d = digits.ToString(leading, digits.Length - leading).TrimEnd('0');
        var k = d.Length;
        var n = integerDigits + exponent - leading;

        var result = new StringBuilder(k + 8);
        if (negative) result.Append('-');
        if (k <= n && n <= 21)
        {
            result.Append(d).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(d, 0, n).Append('.').Append(d, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(d);
        }
        else
        {
            var exp = n - 1;
            result.Append(d[0]);
            if (k > 1) result.Append('.').Append(d, 1, k - 1);
            result.Append('e').Append(exp >= 0 ? '+' : '-').Append(Math.Abs(exp).ToString(CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }

    private static byte HexDigit(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);

    internal static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
