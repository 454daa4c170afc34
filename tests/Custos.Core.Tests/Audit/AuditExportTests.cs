using System.Buffers;
using System.Text;
using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

public class AuditExportTests
{
    private static async Task<string> Export(IEnumerable<AuditEvent> events, IEnumerable<AuditCheckpoint> checkpoints, string? publicKey, bool filtered = false)
    {
        using var stream = new MemoryStream();
        await AuditExport.WriteHeaderAsync(stream, new AuditExportHeader(1, publicKey, filtered, null, "2026-11-30T00:00:00.000000Z", null), CancellationToken.None);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var c in checkpoints) AuditExport.WriteCheckpoint(c, buffer);
        foreach (var e in events) AuditExport.WriteEvent(e, buffer);
        stream.Write(buffer.WrittenSpan);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task<AuditVerificationResult> VerifyText(string text)
    {
        var (header, checkpoints, links) = await AuditExport.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        var key = header.PublicKey is not null && AuditSigningKey.TryParsePublicKey(header.PublicKey, out var k) ? k : null;
        return await AuditVerifier.VerifyLinksAsync(links, checkpoints, key,
            new AuditVerificationOptions { Partial = header.Filtered }, CancellationToken.None);
    }

    [Fact]
    public async Task A_full_export_round_trips_and_verifies_on_its_own()
    {
        using var key = AuditSigningKey.Generate();
        var chain = AuditTestData.Chain(10_000);
        var text = await Export(chain, [key.SignCheckpoint(5000, chain[4999].Hash, AuditTestData.T0)], AuditSigningKey.FormatPublicKey(key.PublicKey));
        var result = await VerifyText(text);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(10_000, result.EventCount);
        Assert.Equal(1, result.CheckpointsVerified);
    }

    [Fact]
    public async Task An_edited_line_is_detected()
    {
        var chain = AuditTestData.Chain(100);
        var text = await Export(chain, [], null);
        var edited = text.Replace("\"alice1\"", "\"bob\"", StringComparison.Ordinal);
        var result = await VerifyText(edited);
        Assert.False(result.Intact);
        Assert.Equal(1, result.FirstBadSeq);
    }

    [Fact]
    public async Task A_line_with_an_extra_member_or_broken_json_is_detected()
    {
        var chain = AuditTestData.Chain(10);
        var lines = (await Export(chain, [], null)).Split('\n').ToList();
        lines[4] = lines[4].Replace("{\"actor\"", "{\"extra\":1,\"actor\"", StringComparison.Ordinal);
        var result = await VerifyText(string.Join('\n', lines));
        Assert.False(result.Intact);
        Assert.Equal(4, result.FirstBadSeq);

        lines = (await Export(chain, [], null)).Split('\n').ToList();
        lines[6] = lines[6][..20];
        var broken = await VerifyText(string.Join('\n', lines));
        Assert.Equal(6, broken.FirstBadSeq);
    }

    [Fact]
    public async Task A_reserialised_line_with_the_same_meaning_is_reported_as_not_canonical()
    {
        var lines = (await Export(AuditTestData.Chain(5), [], null)).Split('\n').ToList();
        lines[3] = lines[3].Replace("{\"actor\":", "{ \"actor\" : ", StringComparison.Ordinal);
        var result = await VerifyText(string.Join('\n', lines));
        Assert.Equal(3, result.FirstBadSeq);
        Assert.Contains("canonical", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_line_is_detected_in_a_full_export()
    {
        var lines = (await Export(AuditTestData.Chain(10), [], null)).Split('\n').ToList();
        lines.RemoveAt(3);
        var result = await VerifyText(string.Join('\n', lines));
        Assert.Equal(3, result.FirstBadSeq);
    }
}
