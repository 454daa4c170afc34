using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Custos.Core.Audit;

/// <summary>
/// One stored event as its columns' UTF-8 bytes, valid only until the reader moves on. Lets a store hand the verifier
/// its rows without materialising strings and <see cref="AuditEvent"/>s (docs/benchmarks.md, "Audit verify").
/// Nullable text columns are null when their <see cref="AuditRowNulls"/> bit is set.
/// </summary>
public readonly ref struct AuditRow
{
    public long Seq { get; init; }
    public long TimeMicros { get; init; }
    public ReadOnlySpan<byte> Type { get; init; }
    public ReadOnlySpan<byte> ActorKind { get; init; }
    public ReadOnlySpan<byte> ActorId { get; init; }
    public ReadOnlySpan<byte> ActorName { get; init; }
    public ReadOnlySpan<byte> Outcome { get; init; }
    public ReadOnlySpan<byte> Target { get; init; }
    public ReadOnlySpan<byte> Reason { get; init; }
    public ReadOnlySpan<byte> SourceIp { get; init; }
    public ReadOnlySpan<byte> SourceUserAgent { get; init; }
    public ReadOnlySpan<byte> RequestId { get; init; }
    public ReadOnlySpan<byte> Details { get; init; }
    public ReadOnlySpan<byte> PrevHash { get; init; }
    public ReadOnlySpan<byte> Hash { get; init; }
    public AuditRowNulls Nulls { get; init; }
}

/// <summary>Which of an <see cref="AuditRow"/>'s columns are SQL NULL (or, for the others, unreadable).</summary>
[Flags]
public enum AuditRowNulls
{
    None = 0,
    Target = 1,
    Reason = 2,
    SourceIp = 4,
    SourceUserAgent = 8,
    RequestId = 16,

    /// <summary>A column that is never NULL is NULL, or a hash column is not a BLOB: the row was modified.</summary>
    Malformed = 32,
}

/// <summary>
/// Checks stored rows against their hashes, on one thread, reusing its buffers and SHA-256 context. Writes the same
/// canonical bytes as <see cref="AuditChain.WriteCanonical"/> does for the equivalent <see cref="AuditEvent"/> (the
/// text columns decoded as UTF-8, as ADO.NET would, then canonicalised); a test holds the two together. Valid UTF-8
/// is copied straight through; anything else takes the string path, so the result is the same byte for byte.
/// </summary>
public sealed class AuditRowHasher : IDisposable
{
    private const int HashesPerSlab = 1024;
    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Sha256Context _sha = new();
    private readonly List<AuditLink> _links = [];
    private byte[] _slab = [];
    private int _slabUsed = HashesPerSlab;

    /// <summary>Checks one row's hash against its contents and keeps its link.</summary>
    public void Add(in AuditRow row)
    {
        var (prev, hash) = Keep(row.PrevHash, row.Hash);
        _links.Add(new AuditLink(row.Seq, prev, hash, Check(row)));
    }

    /// <summary>The links added so far, in order; starts a new list.</summary>
    public AuditLink[] TakeLinks()
    {
        var links = _links.ToArray();
        _links.Clear();
        return links;
    }

    public void Dispose() => _sha.Dispose();

    private string? Check(in AuditRow row)
    {
        if ((row.Nulls & AuditRowNulls.Malformed) != 0)
            return $"event {row.Seq}: a column is NULL or of the wrong type (modified)";
        if (row.Hash.Length != AuditChain.HashSize || row.PrevHash.Length != AuditChain.HashSize)
            return $"event {row.Seq}: hash or prev_hash is not 32 bytes (modified)";
        var outcome = OutcomeName(row.Outcome);
        if (outcome.IsEmpty) return $"event {row.Seq}: unknown outcome (modified)";
        DateTimeOffset time;
        try
        {
            time = AuditChain.FromMicros(row.TimeMicros);
        }
        catch (ArgumentOutOfRangeException)
        {
            return $"event {row.Seq}: time is out of range (modified)";
        }
        _buffer.ResetWrittenCount();
        Append(row.PrevHash);
        WriteCanonical(row, outcome, time);
        Span<byte> computed = stackalloc byte[AuditChain.HashSize];
        _sha.Hash(_buffer.WrittenSpan, computed);
        return computed.SequenceEqual(row.Hash) ? null : $"event {row.Seq}: hash does not match its contents (modified)";
    }

    // Members in UTF-16 code unit order, as AuditChain.WriteCanonical.
    private void WriteCanonical(in AuditRow row, ReadOnlySpan<byte> outcome, DateTimeOffset time)
    {
        Append("{\"actor\":{\"id\":"u8);
        WriteString(row.ActorId);
        Append(",\"kind\":"u8);
        WriteString(row.ActorKind);
        Append(",\"name\":"u8);
        WriteString(row.ActorName);
        Append("},\"details\":"u8);
        WriteRaw(row.Details);
        Append(",\"outcome\":\""u8);
        Append(outcome);
        Append("\",\"prev_hash\":\""u8);
        var hex = _buffer.GetSpan(2 * AuditChain.HashSize);
        Convert.TryToHexStringLower(row.PrevHash, hex, out var written);
        _buffer.Advance(written);
        Append("\",\"reason\":"u8);
        WriteNullable(row.Reason, row.Nulls, AuditRowNulls.Reason);
        Append(",\"request_id\":"u8);
        WriteNullable(row.RequestId, row.Nulls, AuditRowNulls.RequestId);
        Append(",\"seq\":"u8);
        row.Seq.TryFormat(_buffer.GetSpan(20), out written, default, System.Globalization.CultureInfo.InvariantCulture);
        _buffer.Advance(written);
        Append(",\"source\":"u8);
        if ((row.Nulls & (AuditRowNulls.SourceIp | AuditRowNulls.SourceUserAgent)) == (AuditRowNulls.SourceIp | AuditRowNulls.SourceUserAgent))
        {
            Append("null"u8);
        }
        else
        {
            Append("{\"ip\":"u8);
            WriteNullable(row.SourceIp, row.Nulls, AuditRowNulls.SourceIp);
            Append(",\"user_agent\":"u8);
            WriteNullable(row.SourceUserAgent, row.Nulls, AuditRowNulls.SourceUserAgent);
            Append("}"u8);
        }
        Append(",\"target\":"u8);
        WriteNullable(row.Target, row.Nulls, AuditRowNulls.Target);
        Append(",\"time\":\""u8);
        AuditChain.WriteTime(time, _buffer.GetSpan(AuditChain.TimeLength));
        _buffer.Advance(AuditChain.TimeLength);
        Append("\",\"type\":"u8);
        WriteString(row.Type);
        Append("}"u8);
    }

    private static ReadOnlySpan<byte> OutcomeName(ReadOnlySpan<byte> stored) =>
        stored.SequenceEqual("success"u8) ? "success"u8
        : stored.SequenceEqual("failure"u8) ? "failure"u8
        : stored.SequenceEqual("denied"u8) ? "denied"u8
        : default;

    private void WriteNullable(ReadOnlySpan<byte> utf8, AuditRowNulls nulls, AuditRowNulls bit)
    {
        if ((nulls & bit) != 0) Append("null"u8);
        else WriteString(utf8);
    }

    /// <summary>A JSON string with JCS escaping (CanonicalJson.WriteString) of text stored as UTF-8.</summary>
    private void WriteString(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            CanonicalJson.WriteString(Encoding.UTF8.GetString(utf8), _buffer);
            return;
        }
        Append("\""u8);
        while (true)
        {
            var next = utf8.IndexOfAny(NeedsEscape);
            if (next < 0) break;
            Append(utf8[..next]);
            var c = utf8[next];
            Append(c switch
            {
                (byte)'"' => "\\\""u8,
                (byte)'\\' => "\\\\"u8,
                (byte)'\b' => "\\b"u8,
                (byte)'\f' => "\\f"u8,
                (byte)'\n' => "\\n"u8,
                (byte)'\r' => "\\r"u8,
                (byte)'\t' => "\\t"u8,
                _ => [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', HexDigit(c >> 4), HexDigit(c & 0xF)],
            });
            utf8 = utf8[(next + 1)..];
        }
        Append(utf8);
        Append("\""u8);
    }

    /// <summary>Text written as stored (the details column holds canonical JSON text), as AuditChain's WriteUtf8.</summary>
    private void WriteRaw(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8)) Append(utf8);
        else Append(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(utf8)));
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    private static byte HexDigit(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);

    /// <summary>Copies a row's hashes into slabs shared by many links (the row's spans die with the row).</summary>
    private (ReadOnlyMemory<byte> Prev, ReadOnlyMemory<byte> Hash) Keep(ReadOnlySpan<byte> prev, ReadOnlySpan<byte> hash)
    {
        if (prev.Length != AuditChain.HashSize || hash.Length != AuditChain.HashSize) return (prev.ToArray(), hash.ToArray());
        if (_slabUsed == HashesPerSlab)
        {
            _slab = new byte[HashesPerSlab * 2 * AuditChain.HashSize];
            _slabUsed = 0;
        }
        var at = _slabUsed++ * 2 * AuditChain.HashSize;
        prev.CopyTo(_slab.AsSpan(at));
        hash.CopyTo(_slab.AsSpan(at + AuditChain.HashSize));
        return (_slab.AsMemory(at, AuditChain.HashSize), _slab.AsMemory(at + AuditChain.HashSize, AuditChain.HashSize));
    }
}
