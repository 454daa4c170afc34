using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using FsCheck;
using FsCheck.Fluent;

namespace Custos.Core.Tests.Audit;

public class AuditChainTests
{
    [Fact]
    public void Event_hash_is_sha256_of_prev_hash_and_the_JCS_of_the_exported_object_without_hash()
    {
        foreach (var e in AuditTestData.Chain(50))
        {
            // What a third-party verifier does: take the export line, drop "hash", canonicalise with any JCS library.
            var buffer = new ArrayBufferWriter<byte>();
            AuditChain.WriteCanonical(e, buffer, includeHash: true);
            var obj = JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
            obj.Remove("hash");
            var canonical = Encoding.UTF8.GetBytes(CanonicalJson.Canonicalize(obj.ToJsonString()));
            var expected = System.Security.Cryptography.SHA256.HashData([.. e.PrevHash, .. canonical]);
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(e.Hash));
        }
    }

    [Fact]
    public void Export_lines_are_themselves_canonical_JSON()
    {
        foreach (var e in AuditTestData.Chain(20))
        {
            var buffer = new ArrayBufferWriter<byte>();
            AuditChain.WriteCanonical(e, buffer, includeHash: true);
            var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
            Assert.Equal(line, CanonicalJson.Canonicalize(line));
        }
    }

    [Fact]
    public void Fast_canonical_form_equals_generic_JCS_for_arbitrary_strings()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<NonNull<string>>(), ArbMap.Default.ArbFor<NonNull<string>>(), (a, b) =>
        {
            var text = a.Get + "\u0000\u001f\u007f" + b.Get;
            if (HasLoneSurrogate(text)) return true;
            var e = new AuditEvent(1, AuditTestData.T0, "a.b", new AuditActor(text, b.Get, a.Get), AuditOutcome.Denied, text, b.Get,
                new AuditSource(a.Get, null), text, "{}", new byte[32], new byte[32]);
            var fast = new ArrayBufferWriter<byte>();
            AuditChain.WriteCanonical(e, fast, includeHash: true);
            var generic = CanonicalJson.Canonicalize(Encoding.UTF8.GetString(fast.WrittenSpan));
            return generic == Encoding.UTF8.GetString(fast.WrittenSpan);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Time_is_truncated_to_microseconds_and_formatted_with_six_digits()
    {
        var t = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        var truncated = AuditChain.TruncateToMicroseconds(t);
        Assert.Equal("2026-01-02T03:04:05.123456Z", AuditChain.FormatTime(truncated));
        Assert.True(AuditChain.TryParseTime("2026-01-02T03:04:05.123456Z", out var parsed));
        Assert.Equal(truncated, parsed);
    }

    [Fact]
    public void Changing_any_field_changes_the_hash()
    {
        var e = AuditTestData.Chain(1)[0];
        var variants = new[]
        {
            e with { Seq = 2 }, e with { Time = e.Time.AddTicks(10) }, e with { Type = "x.z" },
            e with { Actor = e.Actor with { Name = "mallory" } }, e with { Outcome = AuditOutcome.Denied },
            e with { Target = "other" }, e with { Reason = "r" }, e with { Source = new AuditSource("1.2.3.4", null) },
            e with { RequestId = "other" }, e with { Details = "{\"i\":2}" }, e with { PrevHash = new byte[32].Select(_ => (byte)1).ToArray() },
        };
        foreach (var v in variants) Assert.NotEqual(Convert.ToHexString(e.Hash), Convert.ToHexString(AuditChain.ComputeHash(v)));
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            return true;
        }
        return false;
    }
}
