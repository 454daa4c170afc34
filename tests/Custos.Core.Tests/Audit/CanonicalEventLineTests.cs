using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using FsCheck.Xunit;

namespace Custos.Core.Tests.Audit;

/// <summary>
/// The export's fast path for lines exactly as Custos writes them must agree with the general JSON reader on every
/// line it takes, and leave every other line to that reader.
/// </summary>
public class CanonicalEventLineTests
{
    private static readonly string[] Pieces =
    [
        "alice", "node/db-1", " ", "\"", "\\", "/", "\n", "\r\n", "\t", "\b", "\f", "\u0000", "\u0001", "\u001f", "\u007f",
        "é", "ü", "€", "\u2028", "\ud83d\ude00", "日本語", "<script>", "'", "{}", "[1,2]", "null", "\\u0041",
    ];

    private static string Text(Random random, int maxPieces)
    {
        var text = new StringBuilder();
        for (var i = random.Next(maxPieces + 1); i > 0; i--) text.Append(Pieces[random.Next(Pieces.Length)]);
        return text.ToString();
    }

    private static JsonNode? Node(Random random, int depth) => random.Next(depth > 3 ? 5 : 7) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(random.Next(int.MinValue, int.MaxValue)),
        3 => JsonValue.Create(Math.Round(random.NextDouble() * Math.Pow(10, random.Next(-8, 25)), random.Next(8))),
        4 => JsonValue.Create(Text(random, 6)),
        5 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => Node(random, depth + 1))]),
        _ => Details(random, depth + 1),
    };

    private static JsonObject Details(Random random, int depth)
    {
        var o = new JsonObject();
        for (var i = random.Next(5); i > 0; i--) o[Text(random, 3) + i] = Node(random, depth);
        return o;
    }

    private static string? Nullable(Random random) => random.Next(3) == 0 ? null : Text(random, 8);

    /// <summary>A chain of events with escapes, unicode, nulls and now and then a large details object.</summary>
    private static List<AuditEvent> Events(int seed, int count)
    {
        var random = new Random(seed);
        var events = new List<AuditEvent>(count);
        var prev = AuditChain.GenesisHash.ToArray();
        for (var i = 1; i <= count; i++)
        {
            var details = Details(random, 0);
            if (random.Next(20) == 0) details["blob"] = new string('x', random.Next(60_000)) + Text(random, 20);
            var canonical = AuditEntryValidator.Validate(new AuditEntry("x.y", AuditActor.System, AuditOutcome.Success, Details: details));
            var e = new AuditEvent(i * (long)random.Next(1, 1000), AuditTestData.T0.AddTicks(random.Next() * 10L), "user.login",
                new AuditActor(Text(random, 3), Text(random, 4), Text(random, 4)), (AuditOutcome)random.Next(3), Nullable(random),
                Nullable(random), random.Next(2) == 0 ? null : new AuditSource(Nullable(random), Nullable(random)),
                Nullable(random), canonical, prev, []);
            e = e with { Hash = AuditChain.ComputeHash(e) };
            events.Add(e);
            prev = e.Hash;
        }
        return events;
    }

    private static byte[] Line(AuditEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AuditExport.WriteEvent(e, buffer);
        return buffer.WrittenSpan[..^1].ToArray();
    }

    private static (AuditLink Link, string Hashes) Parse(Func<byte[], ArrayBufferWriter<byte>, Sha256Context, Memory<byte>, AuditLink> parse, byte[] line)
    {
        using var sha = new Sha256Context();
        var hashes = new byte[64];
        var link = parse(line, new ArrayBufferWriter<byte>(), sha, hashes);
        return (link, Convert.ToHexStringLower(link.PrevHash.Span) + ":" + Convert.ToHexStringLower(link.Hash.Span));
    }

    private static (AuditLink Link, string Hashes) General(byte[] line) =>
        Parse((l, s, sha, h) => AuditExport.ParseLinkWithReader(l, 7, s, sha, h), line);

    private static (AuditLink Link, string Hashes) Chosen(byte[] line) =>
        Parse((l, s, sha, h) => AuditExport.ParseLink(l, 7, s, sha, h), line);

    private static bool TakesFastPath(byte[] line)
    {
        using var sha = new Sha256Context();
        return AuditExport.TryParseCanonical(line, new ArrayBufferWriter<byte>(), sha, new byte[64], out _);
    }

    private static void AssertSameOutcome(byte[] line)
    {
        var general = General(line);
        var chosen = Chosen(line);
        Assert.Equal(general.Link.Seq, chosen.Link.Seq);
        Assert.Equal(general.Link.Problem, chosen.Link.Problem);
        Assert.Equal(general.Hashes, chosen.Hashes);
    }

    [Property(MaxTest = 60)]
    public void Lines_as_Custos_writes_them_take_the_fast_path_and_give_the_readers_links(int seed)
    {
        foreach (var e in Events(seed, 20))
        {
            var line = Line(e);
            Assert.True(TakesFastPath(line), Encoding.UTF8.GetString(line));
            var general = General(line);
            var fast = Chosen(line);
            Assert.Null(general.Link.Problem);
            Assert.Equal(e.Seq, fast.Link.Seq);
            Assert.Equal(general.Link.Seq, fast.Link.Seq);
            Assert.Null(fast.Link.Problem);
            Assert.Equal(general.Hashes, fast.Hashes);
            Assert.Equal(Convert.ToHexStringLower(e.PrevHash) + ":" + Convert.ToHexStringLower(e.Hash), fast.Hashes);
        }
    }

    /// <summary>Recomputes a line's hash member so that only the general reader decides whether it is intact.</summary>
    private static byte[] Rehash(string line)
    {
        var start = line.IndexOf(",\"hash\":\"", StringComparison.Ordinal);
        var rest = line.Remove(start, CanonicalEventLine.HashMemberLength);
        var prevAt = line.IndexOf("\"prev_hash\":", StringComparison.Ordinal);
        var prevText = line.Substring(line.IndexOf('"', prevAt + 12) + 1, 64);
        var input = Convert.FromHexString(prevText).Concat(Encoding.UTF8.GetBytes(rest)).ToArray();
        return Encoding.UTF8.GetBytes(line.Remove(start + 9, 64).Insert(start + 9, Convert.ToHexStringLower(SHA256.HashData(input))));
    }

    public static TheoryData<string, string> Deviations => new()
    {
        { "keys reordered", "type-first" },
        { "a space after a colon", "space-colon" },
        { "a space at the end", "trailing-space" },
        { "an escaped letter", "\\u0041" },
        { "an escaped slash", "\\/" },
        { "uppercase \\u escape", "\\u001F" },
        { "uppercase prev_hash", "upper-prev" },
        { "uppercase hash", "upper-hash" },
        { "seq with a leading zero", "\"seq\":0" },
        { "seq as a decimal", "seq-decimal" },
        { "negative seq", "\"seq\":-" },
        { "an extra member", "extra" },
        { "deep details", "deep" },
        { "a raw tab in a string", "raw-tab" },
        { "invalid UTF-8", "bad-utf8" },
        { "a lone surrogate escape", "\\ud800" },
        { "truncated", "truncated" },
        { "trailing garbage", "garbage" },
    };

    private static string Deviate(string line, string how)
    {
        string Replace(string from, string to) => line.Replace(from, to, StringComparison.Ordinal);
        var typeAt = line.IndexOf(",\"type\":", StringComparison.Ordinal);
        return how switch
        {
            "type-first" => "{" + line[(typeAt + 1)..^1] + "," + line[1..typeAt] + "}",
            "trailing-space" => line + " ",
            "\\u0041" => Replace("\"id\":\"", "\"id\":\"\\u0041"),
            "\\/" => Replace("\"id\":\"", "\"id\":\"\\/"),
            "\\u001F" => Replace("\"id\":\"", "\"id\":\"\\u001F"),
            "\\ud800" => Replace("\"id\":\"", "\"id\":\"\\ud800"),
            "upper-prev" => Replace("\"prev_hash\":\"", "\"prev_hash\":\"ABCDEF").Remove(line.IndexOf("\"prev_hash\":\"", StringComparison.Ordinal) + 19, 6),
            "upper-hash" => Replace("\"hash\":\"", "\"hash\":\"ABCDEF").Remove(line.IndexOf("\"hash\":\"", StringComparison.Ordinal) + 14, 6),
            "\"seq\":0" => Replace("\"seq\":", "\"seq\":0"),
            "seq-decimal" => Replace(",\"source\":", ".0,\"source\":"),
            "\"seq\":-" => Replace("\"seq\":", "\"seq\":-"),
            "extra" => Replace("{\"actor\"", "{\"extra\":1,\"actor\""),
            "deep" => Replace("\"details\":", "\"details\":{\"d\":" + new string('[', 30) + new string(']', 30) + ",\"e\":")
                .Replace(",\"hash\":", "},\"hash\":", StringComparison.Ordinal),
            "raw-tab" => Replace("\"id\":\"", "\"id\":\"\t"),
            "bad-utf8" => Replace("\"id\":\"", "\"id\":\"\uFFFF"),
            "truncated" => line[..^10],
            "garbage" => line + "x",
            "space-colon" => Replace("\"seq\":", "\"seq\": "),
            _ => throw new ArgumentOutOfRangeException(nameof(how), how, null),
        };
    }

    [Theory]
    [MemberData(nameof(Deviations))]
    public void A_line_that_deviates_takes_the_readers_path_and_gets_its_verdict(string deviation, string how)
    {
        _ = deviation;
        foreach (var e in Events(1234, 10))
        {
            var text = Deviate(Encoding.UTF8.GetString(Line(e)), how);
            var line = Encoding.UTF8.GetBytes(text);
            if (how == "bad-utf8") line = [.. line.Select(b => b == 0xEF ? (byte)0xFF : b)];
            Assert.False(TakesFastPath(line), text);
            AssertSameOutcome(line);
            // The same deviation with a correct hash: intact or not is for the reader alone to say.
            if (how is "bad-utf8" or "upper-hash" or "truncated" or "garbage") continue;
            var rehashed = Rehash(text);
            Assert.False(TakesFastPath(rehashed), text);
            AssertSameOutcome(rehashed);
        }
    }

    [Fact]
    public void A_reordered_line_with_a_correct_hash_still_verifies_through_the_reader()
    {
        var line = Rehash(Deviate(Encoding.UTF8.GetString(Line(Events(5, 1)[0])), "type-first"));
        Assert.False(TakesFastPath(line));
        Assert.Null(Chosen(line).Link.Problem);
    }

    [Property(MaxTest = 40)]
    public async Task A_tampered_line_is_reported_at_its_sequence_number(int seed)
    {
        var random = new Random(seed);
        var events = Events(seed, 50);
        // Renumber 1..n so the chain is a full export.
        var prev = AuditChain.GenesisHash.ToArray();
        for (var i = 0; i < events.Count; i++)
        {
            events[i] = events[i] with { Seq = i + 1, PrevHash = prev };
            events[i] = events[i] with { Hash = AuditChain.ComputeHash(events[i]) };
            prev = events[i].Hash;
        }
        var victim = random.Next(events.Count);
        var lines = events.Select(e => Encoding.UTF8.GetString(Line(e))).ToList();
        var typeAt = lines[victim].LastIndexOf(",\"type\":\"", StringComparison.Ordinal);
        lines[victim] = lines[victim].Insert(typeAt + 9, random.Next(2) == 0 ? "z" : "\\n");
        var text = "{\"custos_audit_export\":1,\"exported_at\":\"\",\"filtered\":false}\n" + string.Join('\n', lines) + "\n";
        var (_, checkpoints, links) = await AuditExport.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        var result = await AuditVerifier.VerifyLinksAsync(links, checkpoints, null, new AuditVerificationOptions(), CancellationToken.None);
        Assert.False(result.Intact);
        Assert.Equal(victim + 1, result.FirstBadSeq);
        Assert.Contains("does not match its hash", result.Problem, StringComparison.Ordinal);
    }
}
