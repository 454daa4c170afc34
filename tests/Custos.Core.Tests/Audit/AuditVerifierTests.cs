using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

public class AuditVerifierTests
{
    private static Task<AuditVerificationResult> Verify(IEnumerable<AuditEvent> events, IReadOnlyList<AuditCheckpoint>? checkpoints = null,
        byte[]? key = null, AuditVerificationOptions? options = null) =>
        AuditVerifier.VerifyAsync(AuditTestData.Stream(events), checkpoints ?? [], key, options ?? new AuditVerificationOptions(), CancellationToken.None);

    [Fact]
    public async Task An_intact_chain_verifies_and_reports_count_and_head()
    {
        var chain = AuditTestData.Chain(10_000);
        var result = await Verify(chain);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(10_000, result.EventCount);
        Assert.Equal(chain[^1].Hash, result.Head.Hash);
        Assert.Equal(10_000, result.Head.Seq);
    }

    [Fact]
    public async Task An_empty_log_is_intact()
    {
        var result = await Verify([]);
        Assert.True(result.Intact);
        Assert.Equal(0, result.Head.Seq);
    }

    [Fact]
    public async Task A_modified_field_is_reported_at_its_sequence_number()
    {
        var chain = AuditTestData.Chain(9000);
        chain[4999] = chain[4999] with { Reason = "covered up" };
        var result = await Verify(chain);
        Assert.False(result.Intact);
        Assert.Equal(5000, result.FirstBadSeq);
        Assert.Contains("modified", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_event_is_reported_as_missing()
    {
        var chain = AuditTestData.Chain(100);
        chain.RemoveAt(41);
        var result = await Verify(chain);
        Assert.Equal(42, result.FirstBadSeq);
        Assert.Contains("missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_swapped_events_are_reported_at_the_first()
    {
        var chain = AuditTestData.Chain(100);
        // Swap the contents but keep the sequence numbers, as an UPDATE of two rows would.
        var a = chain[19];
        var b = chain[59];
        chain[19] = b with { Seq = 20 };
        chain[59] = a with { Seq = 60 };
        var result = await Verify(chain);
        Assert.Equal(20, result.FirstBadSeq);
    }

    [Fact]
    public async Task A_recomputed_chain_after_a_change_is_caught_by_the_signed_checkpoint()
    {
        using var key = AuditSigningKey.Generate();
        var chain = AuditTestData.Chain(100);
        var checkpoint = key.SignCheckpoint(100, chain[99].Hash, AuditTestData.T0);
        // The attacker edits event 10 and rehashes everything after it.
        var forged = new List<AuditEvent>();
        var prev = AuditChain.GenesisHash.ToArray();
        foreach (var e in chain)
        {
            var changed = (e.Seq == 10 ? e with { Actor = new AuditActor("user", "x", "mallory") } : e) with { PrevHash = prev };
            changed = changed with { Hash = AuditChain.ComputeHash(changed) };
            forged.Add(changed);
            prev = changed.Hash;
        }
        var result = await Verify(forged, [checkpoint], key.PublicKey);
        Assert.False(result.Intact);
        Assert.Equal(100, result.FirstBadSeq);
        Assert.Contains("checkpoint", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncation_is_caught_by_a_later_checkpoint_or_an_expected_head()
    {
        using var key = AuditSigningKey.Generate();
        var chain = AuditTestData.Chain(100);
        var truncated = chain.Take(90).ToList();
        Assert.True((await Verify(truncated)).Intact); // a chain alone cannot tell

        var byHead = await Verify(truncated, options: new AuditVerificationOptions { ExpectHead = new AuditHead(95, chain[94].Hash) });
        Assert.False(byHead.Intact);
        Assert.Equal(91, byHead.FirstBadSeq);

        var byCheckpoint = await Verify(truncated, [key.SignCheckpoint(100, chain[99].Hash, AuditTestData.T0)], key.PublicKey);
        Assert.False(byCheckpoint.Intact);
        Assert.Equal(91, byCheckpoint.FirstBadSeq);
    }

    [Fact]
    public async Task An_expected_head_that_differs_is_reported_as_rewritten()
    {
        var chain = AuditTestData.Chain(50);
        var result = await Verify(chain, options: new AuditVerificationOptions { ExpectHead = new AuditHead(30, new byte[32]) });
        Assert.Equal(30, result.FirstBadSeq);
    }

    [Fact]
    public async Task A_log_signed_by_another_key_fails_against_the_trusted_key()
    {
        using var real = AuditSigningKey.Generate();
        using var attacker = AuditSigningKey.Generate();
        var chain = AuditTestData.Chain(10);
        var checkpoints = new[] { attacker.SignCheckpoint(10, chain[9].Hash, AuditTestData.T0) };
        Assert.True((await Verify(chain, checkpoints, attacker.PublicKey)).Intact);
        var result = await Verify(chain, checkpoints, attacker.PublicKey, new AuditVerificationOptions { TrustedKey = real.PublicKey });
        Assert.False(result.Intact);
        Assert.Contains("trusted", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_with_a_bad_signature_is_reported()
    {
        using var key = AuditSigningKey.Generate();
        var chain = AuditTestData.Chain(10);
        var c = key.SignCheckpoint(5, chain[4].Hash, AuditTestData.T0);
        c.Signature[0] ^= 1;
        var result = await Verify(chain, [c], key.PublicKey);
        Assert.Equal(5, result.FirstBadSeq);
    }

    [Fact]
    public async Task A_partial_selection_verifies_event_by_event_and_counts_gaps()
    {
        var chain = AuditTestData.Chain(100);
        var selection = chain.Where(e => e.Seq % 3 == 0).ToList();
        var result = await Verify(selection, options: new AuditVerificationOptions { Partial = true });
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(66, result.GapCount); // 2 before each of the 33 selected events

        selection[5] = selection[5] with { Type = "forged.type" };
        var tampered = await Verify(selection, options: new AuditVerificationOptions { Partial = true });
        Assert.Equal(selection[5].Seq, tampered.FirstBadSeq);
    }
}
