using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Security.Cryptography;
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

    /// <summary>
    /// Reads an export: header, checkpoints, and the event lines as ordered chunks of <see cref="AuditLink"/>s,
    /// hashed on every core. An event line is checked byte for byte: the line without its <c>"hash"</c> member is the
    /// canonical JSON that was hashed, so any edit (or re-serialisation) of the line is detected.
    /// </summary>
    public static async Task<(AuditExportHeader Header, List<AuditCheckpoint> Checkpoints, IAsyncEnumerable<AuditLink[]> Links)> ReadAsync(
        Stream stream, CancellationToken cancellationToken)
    {
        var lines = new LineReader(stream, MaxLineBytes);
        var first = await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new FormatException("the export is empty");
        var header = ParseHeader(Encoding.UTF8.GetString(first));
        var checkpoints = new List<AuditCheckpoint>();
        byte[]? pending = null;
        while (await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            if (!line.AsSpan().StartsWith("{\"checkpoint\":"u8))
            {
                pending = line;
                break;
            }
            checkpoints.Add(ParseCheckpoint(Encoding.UTF8.GetString(line), lines.LineNumber));
        }
        return (header, checkpoints, ReadLinksAsync(lines, pending, cancellationToken));
    }

    private static async IAsyncEnumerable<AuditLink[]> ReadLinksAsync(LineReader lines, byte[]? first, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int chunkSize = 8192;
        var chunk = new List<(byte[] Line, int Number)>(chunkSize);
        if (first is not null) chunk.Add((first, lines.LineNumber));
        var done = false;
        while (!done)
        {
            while (chunk.Count < chunkSize)
            {
                var line = await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null)
                {
                    done = true;
                    break;
                }
                if (line.Length > 0) chunk.Add((line, lines.LineNumber));
            }
            if (chunk.Count == 0) yield break;
            var snapshot = chunk.ToArray();
            chunk.Clear();
            var links = new AuditLink[snapshot.Length];
            var workers = Math.Min(Environment.ProcessorCount, Math.Max(1, snapshot.Length / 256));
            Parallel.For(0, workers, w =>
            {
                var scratch = new ArrayBufferWriter<byte>(1024);
                for (var i = w; i < snapshot.Length; i += workers) links[i] = ParseLink(snapshot[i].Line, snapshot[i].Number, scratch);
            });
            yield return links;
        }
    }

    /// <summary>Reads seq, prev_hash and hash from an event line and checks the rest of the line against hash.</summary>
    public static AuditLink ParseLink(byte[] line, int number, ArrayBufferWriter<byte> scratch)
    {
        long seq = -1;
        byte[]? prev = null, hash = null;
        int hashStart = -1, hashEnd = -1, members = 0;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Broken(number, "not a JSON object");
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                members++;
                var nameStart = (int)reader.TokenStartIndex;
                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("prev_hash"u8))
                {
                    reader.Read();
                    prev = Convert.FromHexString(reader.GetString() ?? "");
                }
                else if (reader.ValueTextEquals("hash"u8))
                {
                    reader.Read();
                    hash = Convert.FromHexString(reader.GetString() ?? "");
                    hashStart = nameStart;
                    hashEnd = (int)reader.BytesConsumed;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Broken(number, "invalid JSON: " + e.Message);
        }
        if (seq < 0 || prev is null || hash is null || hashStart < 1 || line[hashStart - 1] != (byte)',')
            return Broken(number, "not an event line (seq, prev_hash or hash missing)");
        if (members != EventMembers.Length)
            return new AuditLink(seq, prev, hash, $"line {number} (event {seq}): has {members} members instead of {EventMembers.Length} (modified)");
        if (prev.Length != AuditChain.HashSize || hash.Length != AuditChain.HashSize)
            return new AuditLink(seq, prev, hash, $"line {number} (event {seq}): hash or prev_hash is not 32 bytes (modified)");

        scratch.ResetWrittenCount();
        scratch.Write(prev);
        scratch.Write(line.AsSpan(0, hashStart - 1));
        scratch.Write(line.AsSpan(hashEnd));
        Span<byte> computed = stackalloc byte[AuditChain.HashSize];
        SHA256.HashData(scratch.WrittenSpan, computed);
        return computed.SequenceEqual(hash)
            ? new AuditLink(seq, prev, hash, null)
            : new AuditLink(seq, prev, hash, $"line {number} (event {seq}): does not match its hash (modified or not in canonical form)");
    }

    private static AuditLink Broken(int number, string problem) => new(-1, [], [], $"line {number}: {problem}");

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

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
