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

/// <summary>The export is read in blocks and each block's lines are shared out among workers: edges must not matter.</summary>
public class AuditExportBlockTests
{
    private static async Task<string> Export(IEnumerable<AuditEvent> events)
    {
        using var stream = new MemoryStream();
        await AuditExport.WriteHeaderAsync(stream, new AuditExportHeader(1, null, false, null, "2026-11-30T00:00:00.000000Z", null), CancellationToken.None);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var e in events) AuditExport.WriteEvent(e, buffer);
        stream.Write(buffer.WrittenSpan);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task<AuditVerificationResult> Verify(string text, int blockBytes)
    {
        var (_, checkpoints, links) = await AuditExport.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), blockBytes, CancellationToken.None);
        return await AuditVerifier.VerifyLinksAsync(links, checkpoints, null, new AuditVerificationOptions(), CancellationToken.None);
    }

    private static string Tamper(string text, long seq) =>
        text.Replace($"\"req-{seq}\"", $"\"req-{seq}x\"", StringComparison.Ordinal);

    [Theory]
    [InlineData(300)]
    [InlineData(1000)]
    [InlineData(4096)]
    public async Task A_change_to_any_event_is_found_at_its_sequence_number_whatever_the_block_edges(int blockBytes)
    {
        var text = await Export(AuditTestData.Chain(30));
        var intact = await Verify(text, blockBytes);
        Assert.True(intact.Intact, intact.Problem);
        Assert.Equal(30, intact.EventCount);
        for (var seq = 1; seq <= 30; seq++)
        {
            var result = await Verify(Tamper(text, seq), blockBytes);
            Assert.False(result.Intact);
            Assert.Equal(seq, result.FirstBadSeq);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(600)]
    public async Task A_change_at_either_side_of_a_workers_share_is_found(long seq)
    {
        // The first event line is read with the header; the other 599 in one block, shared 300 and 299 between two
        // workers (on a machine with at least two cores).
        var text = await Export(AuditTestData.Chain(600));
        var result = await Verify(Tamper(text, seq), 1 << 20);
        Assert.False(result.Intact);
        Assert.Equal(seq, result.FirstBadSeq);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task An_export_of_no_or_one_event_verifies(int events)
    {
        var result = await Verify(await Export(AuditTestData.Chain(events)), 1 << 20);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(events, result.EventCount);
    }

    [Fact]
    public async Task Line_endings_and_blank_lines_do_not_matter_and_a_missing_final_newline_is_fine()
    {
        var text = (await Export(AuditTestData.Chain(20))).Replace("\n", "\r\n\n", StringComparison.Ordinal).TrimEnd();
        var result = await Verify(text, 700);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(20, result.EventCount);
    }

    [Fact]
    public async Task A_line_longer_than_allowed_is_reported_at_the_next_expected_event()
    {
        var lines = (await Export(AuditTestData.Chain(5))).Split('\n').ToList();
        lines[3] = lines[3] + new string(' ', 300 * 1024);
        var result = await Verify(string.Join('\n', lines), 1 << 16);
        Assert.False(result.Intact);
        Assert.Equal(3, result.FirstBadSeq);
        Assert.Contains("longer than", result.Problem, StringComparison.Ordinal);
    }
}
