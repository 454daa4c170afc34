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
    public static Task<(AuditExportHeader Header, List<AuditCheckpoint> Checkpoints, IAsyncEnumerable<AuditLink[]> Links)> ReadAsync(
        Stream stream, CancellationToken cancellationToken) => ReadAsync(stream, DefaultBlockBytes, cancellationToken);

    /// <summary>As <see cref="ReadAsync(Stream, CancellationToken)"/>, reading event lines <paramref name="blockBytes"/> at a time.</summary>
    internal static async Task<(AuditExportHeader Header, List<AuditCheckpoint> Checkpoints, IAsyncEnumerable<AuditLink[]> Links)> ReadAsync(
        Stream stream, int blockBytes, CancellationToken cancellationToken)
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
        return (header, checkpoints, ReadLinksAsync(lines, pending, blockBytes, cancellationToken));
    }

    /// <summary>
    /// The event lines, read in large blocks (no allocation per line) and hashed on every core: each block is split on
    /// newlines, its lines shared out among one worker per core, and its links delivered in order.
    /// </summary>
    private static async IAsyncEnumerable<AuditLink[]> ReadLinksAsync(LineReader lines, byte[]? first, int blockBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lineNumber = lines.LineNumber;
        if (first is not null)
        {
            var scratch = new ArrayBufferWriter<byte>(1024);
            using var sha = new Sha256Context();
            var hashes = new byte[2 * AuditChain.HashSize];
            yield return [ParseLink(first, lineNumber, scratch, sha, hashes)];
        }
        var block = new byte[blockBytes];
        var end = 0;
        var buffered = lines.Buffered;
        var eof = false;
        var offsets = new List<(int Start, int Length, int Number)>(block.Length / 256);
        while (true)
        {
            while (!eof && end < block.Length)
            {
                // What the line reader had already read comes first, then the rest of the stream.
                int read;
                if (!buffered.IsEmpty)
                {
                    read = Math.Min(buffered.Length, block.Length - end);
                    buffered.Span[..read].CopyTo(block.AsSpan(end));
                    buffered = buffered[read..];
                }
                else
                {
                    read = lines.AtEnd ? 0 : await lines.Stream.ReadAsync(block.AsMemory(end), cancellationToken).ConfigureAwait(false);
                }
                if (read == 0) eof = true;
                end += read;
            }
            // Whole lines only; the last partial line moves to the front of the block for the next round.
            var complete = eof ? end : block.AsSpan(0, end).LastIndexOf((byte)'\n') + 1;
            offsets.Clear();
            string? tooLong = null;
            var at = 0;
            while (at < complete)
            {
                var length = block.AsSpan(at, complete - at).IndexOf((byte)'\n');
                var next = length < 0 ? complete : at + length + 1;
                if (length < 0) length = complete - at;
                lineNumber++;
                if (length > MaxLineBytes)
                {
                    tooLong = $"line {lineNumber}: longer than {MaxLineBytes} bytes";
                    break;
                }
                if (length > 0 && block[at + length - 1] == (byte)'\r') length--;
                if (length > 0) offsets.Add((at, length, lineNumber));
                at = next;
            }
            if (tooLong is null && end - complete > MaxLineBytes)
                tooLong = $"line {lineNumber + 1}: longer than {MaxLineBytes} bytes";
            if (offsets.Count > 0) yield return HashLines(block, offsets);
            if (tooLong is not null) throw new FormatException(tooLong);
            if (eof) yield break;
            block.AsSpan(complete, end - complete).CopyTo(block);
            end -= complete;
            // Not one whole line in a full block (only when the block is smaller than the longest line allowed).
            if (end == block.Length) Array.Resize(ref block, 2 * block.Length);
        }
    }

    private const int DefaultBlockBytes = 4 << 20;

    private static AuditLink[] HashLines(byte[] block, List<(int Start, int Length, int Number)> offsets)
    {
        var links = new AuditLink[offsets.Count];
        var hashes = new byte[offsets.Count * 2 * AuditChain.HashSize];
        var workers = Math.Min(Environment.ProcessorCount, Math.Max(1, offsets.Count / 256));
        // Contiguous shares: each worker walks its own part of the block.
        var share = (offsets.Count + workers - 1) / workers;
        Parallel.For(0, workers, w =>
        {
            var scratch = new ArrayBufferWriter<byte>(1024);
            using var sha = new Sha256Context();
            for (var i = w * share; i < Math.Min(offsets.Count, (w + 1) * share); i++)
            {
                var (start, length, number) = offsets[i];
                links[i] = ParseLink(block.AsSpan(start, length), number, scratch, sha,
                    hashes.AsMemory(i * 2 * AuditChain.HashSize, 2 * AuditChain.HashSize));
            }
        });
        return links;
    }

    /// <summary>
    /// Reads seq, prev_hash and hash from an event line and checks the rest of the line against hash. The link's
    /// hashes are written to <paramref name="hashes"/> (64 bytes) when they are 32 bytes each.
    /// </summary>
    public static AuditLink ParseLink(ReadOnlySpan<byte> line, int number, ArrayBufferWriter<byte> scratch, Sha256Context sha, Memory<byte> hashes)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(sha);
        long seq = -1;
        ReadOnlyMemory<byte> prev = default, hash = default;
        bool havePrev = false, haveHash = false;
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
                    prev = ReadHex(ref reader, hashes[..AuditChain.HashSize]);
                    havePrev = true;
                }
                else if (reader.ValueTextEquals("hash"u8))
                {
                    reader.Read();
                    hash = ReadHex(ref reader, hashes[AuditChain.HashSize..]);
                    haveHash = true;
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
        if (seq < 0 || !havePrev || !haveHash || hashStart < 1 || line[hashStart - 1] != (byte)',')
            return Broken(number, "not an event line (seq, prev_hash or hash missing)");
        if (members != EventMembers.Length)
            return new AuditLink(seq, prev, hash, $"line {number} (event {seq}): has {members} members instead of {EventMembers.Length} (modified)");
        if (prev.Length != AuditChain.HashSize || hash.Length != AuditChain.HashSize)
            return new AuditLink(seq, prev, hash, $"line {number} (event {seq}): hash or prev_hash is not 32 bytes (modified)");

        scratch.ResetWrittenCount();
        scratch.Write(prev.Span);
        scratch.Write(line[..(hashStart - 1)]);
        scratch.Write(line[hashEnd..]);
        Span<byte> computed = stackalloc byte[AuditChain.HashSize];
        sha.Hash(scratch.WrittenSpan, computed);
        return computed.SequenceEqual(hash.Span)
            ? new AuditLink(seq, prev, hash, null)
            : new AuditLink(seq, prev, hash, $"line {number} (event {seq}): does not match its hash (modified or not in canonical form)");
    }

    /// <summary>
    /// A hex string value, decoded into <paramref name="slot"/> when it is 32 bytes, else into a new array (a
    /// malformed line; reported by the caller). Accepts either case and throws <see cref="FormatException"/> for
    /// anything else, as <see cref="Convert.FromHexString(string)"/>.
    /// </summary>
    private static ReadOnlyMemory<byte> ReadHex(ref Utf8JsonReader reader, Memory<byte> slot)
    {
        if (reader.TokenType != JsonTokenType.String) throw new InvalidOperationException($"expected a string, not {reader.TokenType}");
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length == 2 * AuditChain.HashSize)
        {
            var text = reader.ValueSpan;
            var destination = slot.Span;
            for (var i = 0; i < AuditChain.HashSize; i++)
            {
                var hi = HexValue(text[2 * i]);
                var lo = HexValue(text[(2 * i) + 1]);
                if ((hi | lo) < 0) throw new FormatException("The input is not a valid hex string as it contains a non-hex character.");
                destination[i] = (byte)((hi << 4) | lo);
            }
            return slot;
        }
        return Convert.FromHexString(reader.GetString() ?? "");
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static AuditLink Broken(int number, string problem) => new(-1, default, default, $"line {number}: {problem}");

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
