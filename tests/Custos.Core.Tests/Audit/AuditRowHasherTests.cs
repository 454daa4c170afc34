using System.Text;
using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

public class AuditRowHasherTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    private static byte[]? Utf8(string? s) => s is null ? null : Encoding.UTF8.GetBytes(s);

    /// <summary>Hands the event to the hasher as a store would: its columns' UTF-8 bytes.</summary>
    private static AuditLink Check(AuditEvent e, Func<byte[]?, byte[]?>? actorName = null, string? outcome = null, AuditRowNulls extra = AuditRowNulls.None, long? timeMicros = null)
    {
        using var hasher = new AuditRowHasher();
        var nulls = extra
            | (e.Target is null ? AuditRowNulls.Target : 0) | (e.Reason is null ? AuditRowNulls.Reason : 0)
            | (e.Source?.Ip is null ? AuditRowNulls.SourceIp : 0) | (e.Source?.UserAgent is null ? AuditRowNulls.SourceUserAgent : 0)
            | (e.RequestId is null ? AuditRowNulls.RequestId : 0);
        hasher.Add(new AuditRow
        {
            Seq = e.Seq,
            TimeMicros = timeMicros ?? (e.Time.UtcTicks - Epoch.UtcTicks) / 10,
            Type = Utf8(e.Type),
            ActorKind = Utf8(e.Actor.Kind),
            ActorId = Utf8(e.Actor.Id),
            ActorName = (actorName ?? (b => b))(Utf8(e.Actor.Name)),
            Outcome = Utf8(outcome ?? e.Outcome.ToName()),
            Target = Utf8(e.Target),
            Reason = Utf8(e.Reason),
            SourceIp = Utf8(e.Source?.Ip),
            SourceUserAgent = Utf8(e.Source?.UserAgent),
            RequestId = Utf8(e.RequestId),
            Details = Utf8(e.Details),
            PrevHash = e.PrevHash,
            Hash = e.Hash,
            Nulls = nulls,
        });
        return Assert.Single(hasher.TakeLinks());
    }

    private static AuditEvent Sealed(AuditEvent e) => e with { Hash = AuditChain.ComputeHash(e) };

    [Fact]
    public void Stored_rows_hash_exactly_as_their_events_do()
    {
        foreach (var e in AuditTestData.Chain(300))
        {
            var link = Check(e);
            Assert.Null(link.Problem);
            Assert.Equal(e.Seq, link.Seq);
            Assert.Equal(e.Hash, link.Hash.ToArray());
            Assert.Equal(e.PrevHash, link.PrevHash.ToArray());
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData("quote \" backslash \\ slash /")]
    [InlineData("controls \u0000\u0001\b\t\n\f\r\u001f\u007f end")]
    [InlineData("ünïcödé ☃ 𝄞 \u2028\u2029")]
    public void Strings_are_escaped_as_the_canonical_form_requires(string text)
    {
        var e = Sealed(AuditTestData.Chain(1)[0] with
        {
            Type = text, Actor = new AuditActor(text, text, text), Target = text, Reason = text,
            Source = new AuditSource(text, null), RequestId = text,
        });
        Assert.Null(Check(e).Problem);
        var onlyAgent = Sealed(e with { Source = new AuditSource(null, text) });
        Assert.Null(Check(onlyAgent).Problem);
    }

    [Fact]
    public void Text_that_is_not_valid_UTF8_hashes_as_its_decoded_form_as_before()
    {
        byte[] invalid = [(byte)'a', 0xC3, (byte)'b', 0xED, 0xA0, 0x80, 0xFF];
        var e = Sealed(AuditTestData.Chain(1)[0] with { Actor = new AuditActor("user", "u1", Encoding.UTF8.GetString(invalid)) });
        Assert.Null(Check(e, _ => invalid).Problem);
    }

    [Fact]
    public void A_changed_column_or_an_unreadable_row_is_reported_as_modified()
    {
        var e = AuditTestData.Chain(5)[4];
        Assert.Contains("does not match", Check(e, _ => Utf8("mallory")).Problem, StringComparison.Ordinal);
        Assert.Contains("unknown outcome", Check(e, outcome: "approved").Problem, StringComparison.Ordinal);
        Assert.Contains("NULL or of the wrong type", Check(e, extra: AuditRowNulls.Malformed).Problem, StringComparison.Ordinal);
        Assert.Contains("not 32 bytes", Check(e with { Hash = e.Hash[..31] }).Problem, StringComparison.Ordinal);
        Assert.Contains("time is out of range", Check(e, timeMicros: long.MaxValue / 2).Problem, StringComparison.Ordinal);
    }
}
