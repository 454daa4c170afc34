using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Custos.Core.Audit;

/// <summary>The first line of a JSON Lines export.</summary>
public sealed record AuditExportHeader(int Version, string? PublicKey, bool Filtered, string? Filters, string ExportedAt, string? Head);

/// <summary>
/// JSON Lines export of the audit log (docs/audit.md): one header line, then the checkpoints, then one event per
/// line. Each event line is the event's canonical JSON with its <c>hash</c> member, so a full export verifies on its
/// own and a filtered one verifies event by event.
/// </summary>
public static class AuditExport
{
    public const int FormatVersion = 1;
    private const int MaxLineBytes = 256 * 1024;
    private static readonly string[] EventMembers =
        ["actor", "details", "hash", "outcome", "prev_hash", "reason", "request_id", "seq", "source", "target", "time", "type"];

    public static async Task WriteHeaderAsync(Stream output, AuditExportHeader header, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("custos_audit_export", header.Version);
            json.WriteString("exported_at", header.ExportedAt);
            json.WriteBoolean("filtered", header.Filtered);
            if (header.Filters is not null) json.WriteString("filters", header.Filters);
            if (header.Head is not null) json.WriteString("head", header.Head);
            if (header.PublicKey is not null) json.WriteString("public_key", header.PublicKey);
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    public static void WriteCheckpoint(AuditCheckpoint c, IBufferWriter<byte> o)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{{\"checkpoint\":{{\"head_hash\":\"{Convert.ToHexStringLower(c.HeadHash)}\",\"key_id\":\"{c.KeyId}\",\"seq\":{c.Seq},\"signature\":\"{Convert.ToBase64String(c.Signature)}\",\"time\":\"{AuditChain.FormatTime(c.Time)}\"}}}}\n");
        o.Write(Encoding.UTF8.GetBytes(text));
    }

    public static void WriteEvent(AuditEvent e, IBufferWriter<byte> o)
    {
        AuditChain.WriteCanonical(e, o, includeHash: true);
        o.Write("\n"u8);
    }

    /// <summary>Reads an export: header, checkpoints, and a lazily parsed stream of events.</summary>
    public static async Task<(AuditExportHeader Header, List<AuditCheckpoint> Checkpoints, IAsyncEnumerable<AuditEvent> Events)> ReadAsync(
        TextReader reader, CancellationToken cancellationToken)
    {
        var lineNumber = 1;
        var first = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new FormatException("the export is empty");
        var header = ParseHeader(first);
        var checkpoints = new List<AuditCheckpoint>();
        string? pending = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            if (!line.StartsWith("{\"checkpoint\":", StringComparison.Ordinal))
            {
                pending = line;
                break;
            }
            checkpoints.Add(ParseCheckpoint(line, lineNumber));
        }
        return (header, checkpoints, ReadEventsAsync(reader, pending, lineNumber, cancellationToken));
    }

    private static async IAsyncEnumerable<AuditEvent> ReadEventsAsync(TextReader reader, string? first, int lineNumber, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Lines are parsed in parallel chunks: JSON parsing costs more than hashing.
        var lines = new List<(string Text, int Number)>(4096);
        if (first is not null) lines.Add((first, lineNumber));
        while (true)
        {
            string? line = null;
            while (lines.Count < 4096 && (line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)) is not null)
            {
                lineNumber++;
                if (line.Length > 0) lines.Add((line, lineNumber));
            }
            var parsed = new AuditEvent?[lines.Count];
            var errors = new FormatException?[lines.Count];
            var snapshot = lines.ToArray();
            Parallel.For(0, snapshot.Length, i =>
            {
                try
                {
                    parsed[i] = ParseEvent(snapshot[i].Text, snapshot[i].Number);
                }
                catch (FormatException e)
                {
                    errors[i] = e;
                }
            });
            // Events before a broken line are still verified, so the first bad sequence number is exact.
            for (var i = 0; i < parsed.Length; i++)
            {
                if (errors[i] is { } error) throw error;
                yield return parsed[i]!;
            }
            lines.Clear();
            if (line is null) yield break;
        }
    }

    private static AuditExportHeader ParseHeader(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("custos_audit_export", out var version) || version.ValueKind != JsonValueKind.Number)
                throw new FormatException("line 1: not a Custos audit export header");
            if (version.GetInt32() != FormatVersion)
                throw new FormatException($"line 1: unsupported export format version {version.GetInt32()}");
            return new AuditExportHeader(FormatVersion, OptionalString(root, "public_key"),
                root.TryGetProperty("filtered", out var f) && f.ValueKind == JsonValueKind.True,
                OptionalString(root, "filters"), OptionalString(root, "exported_at") ?? "", OptionalString(root, "head"));
        }
        catch (JsonException e)
        {
            throw new FormatException($"line 1: invalid JSON: {e.Message}", e);
        }
    }

    private static AuditCheckpoint ParseCheckpoint(string line, int number)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var c = doc.RootElement.GetProperty("checkpoint");
            if (!AuditChain.TryParseTime(c.GetProperty("time").GetString() ?? "", out var time))
                throw new FormatException($"line {number}: checkpoint time is not RFC 3339 with microseconds");
            return new AuditCheckpoint(c.GetProperty("seq").GetInt64(), time, Convert.FromHexString(c.GetProperty("head_hash").GetString() ?? ""),
                Convert.FromBase64String(c.GetProperty("signature").GetString() ?? ""), c.GetProperty("key_id").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"line {number}: invalid checkpoint: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses one event line strictly: exactly the event members, nothing else. A line that parses but was altered
    /// still yields an event whose hash will not verify; a line that does not parse is reported with its number.
    /// </summary>
    public static AuditEvent ParseEvent(string line, int number)
    {
        if (line.Length > MaxLineBytes) throw new FormatException($"line {number}: longer than {MaxLineBytes} bytes");
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 64 });
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new FormatException("not an object");
            var members = 0;
            foreach (var p in r.EnumerateObject())
            {
                if (Array.BinarySearch(EventMembers, p.Name, StringComparer.Ordinal) < 0)
                    throw new FormatException($"unexpected member \"{p.Name}\"");
                members++;
            }
            if (members != EventMembers.Length) throw new FormatException("missing members");
            var actor = r.GetProperty("actor");
            if (!AuditOutcomeNames.TryParse(r.GetProperty("outcome").GetString(), out var outcome))
                throw new FormatException("unknown outcome");
            if (!AuditChain.TryParseTime(r.GetProperty("time").GetString() ?? "", out var time))
                throw new FormatException("time is not RFC 3339 with microseconds");
            var source = r.GetProperty("source");
            var details = new ArrayBufferWriter<byte>();
            var d = r.GetProperty("details");
            if (d.ValueKind != JsonValueKind.Object) throw new FormatException("details is not an object");
            CanonicalJson.WriteValue(d, details);
            return new AuditEvent(
                r.GetProperty("seq").GetInt64(), time, r.GetProperty("type").GetString()!,
                new AuditActor(actor.GetProperty("kind").GetString()!, actor.GetProperty("id").GetString()!, actor.GetProperty("name").GetString()!),
                outcome, NullableString(r, "target"), NullableString(r, "reason"),
                source.ValueKind == JsonValueKind.Null ? null : new AuditSource(NullableString(source, "ip"), NullableString(source, "user_agent")),
                NullableString(r, "request_id"), Encoding.UTF8.GetString(details.WrittenSpan),
                Convert.FromHexString(r.GetProperty("prev_hash").GetString()!), Convert.FromHexString(r.GetProperty("hash").GetString()!));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            throw new FormatException($"line {number}: invalid event: {e.Message}", e);
        }
    }

    private static string? NullableString(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Null ? null : v.GetString();
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
