using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Custos.Core.Audit;

/// <summary>Checks an <see cref="AuditEntry"/> before it is queued, and canonicalises its details.</summary>
public static class AuditEntryValidator
{
    public const int MaxDetailsBytes = 64 * 1024;
    public const int MaxFieldLength = 1024;

    /// <summary>Returns the canonical details text, or throws <see cref="ArgumentException"/> naming the field.</summary>
    public static string Validate(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!IsValidType(entry.Type))
            throw new ArgumentException($"audit type \"{entry.Type}\" must be dotted lowercase words such as user.login", nameof(entry));
        CheckField(entry.Actor.Kind, "actor.kind", required: true);
        CheckField(entry.Actor.Id, "actor.id", required: true);
        CheckField(entry.Actor.Name, "actor.name", required: true);
        CheckField(entry.Target, "target");
        CheckField(entry.Reason, "reason");
        CheckField(entry.RequestId, "request_id");
        CheckField(entry.Source?.Ip, "source.ip");
        CheckField(entry.Source?.UserAgent, "source.user_agent");
        if (entry.Details is null || entry.Details.Count == 0) return "{}";

        var json = entry.Details.ToJsonString();
        var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
        try
        {
            CanonicalJson.Canonicalize(json, buffer);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"audit details: {e.Message}", nameof(entry), e);
        }
        if (buffer.WrittenCount > MaxDetailsBytes)
            throw new ArgumentException($"audit details exceed {MaxDetailsBytes} bytes", nameof(entry));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static bool IsValidType(string? type)
    {
        if (string.IsNullOrEmpty(type) || type.Length > 128) return false;
        var dots = 0;
        var previous = '.';
        foreach (var c in type)
        {
            if (c == '.')
            {
                if (previous == '.') return false;
                dots++;
            }
            else if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-'))
            {
                return false;
            }
            previous = c;
        }
        return dots > 0 && previous != '.';
    }

    private static void CheckField(string? value, string field, bool required = false)
    {
        if (value is null)
        {
            if (required) throw new ArgumentException($"audit {field} is required", nameof(value));
            return;
        }
        if (required && value.Length == 0) throw new ArgumentException($"audit {field} is empty", nameof(value));
        if (value.Length > MaxFieldLength) throw new ArgumentException($"audit {field} exceeds {MaxFieldLength} characters", nameof(value));
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsSurrogate(value[i]) &&
                !(char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[++i])))
                throw new ArgumentException($"audit {field} contains an unpaired surrogate", nameof(value));
        }
    }

    /// <summary>Details as a JSON element, for API output.</summary>
    public static JsonElement ParseDetails(string canonical)
    {
        using var doc = JsonDocument.Parse(canonical);
        return doc.RootElement.Clone();
    }
}
