using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Core.Tests.Audit;

public sealed class AuditLogTests : IDisposable
{
    private readonly InMemoryAuditStore _store = new();
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero).AddTicks(1234567));

    private AuditLog NewLog(AuditLogOptions? options = null) =>
        new(_store, _key, _time, options ?? new AuditLogOptions(), NullLogger<AuditLog>.Instance);

    private static AuditEntry Entry(int i = 0) =>
        new("test.append", new AuditActor("user", "u1", "alice"), AuditOutcome.Success, Target: "t/" + i, Details: new JsonObject { ["i"] = i });

    [Fact]
    public async Task Concurrent_appends_get_gap_free_sequence_numbers_and_a_valid_chain()
    {
        await using (var log = NewLog(new AuditLogOptions { MaxBatchSize = 64 }))
        {
            await log.StartAsync(CancellationToken.None);
            var acks = await Task.WhenAll(Enumerable.Range(0, 256).Select(w => Task.Run(async () =>
            {
                var seqs = new List<long>();
                for (var i = 0; i < 20; i++) seqs.Add((await log.AppendAsync(Entry(i))).Seq);
                return seqs;
            })));
            var all = acks.SelectMany(s => s).Order().ToList();
            Assert.Equal(Enumerable.Range(1, 5120).Select(i => (long)i), all);
        }
        Assert.Contains(_store.BatchSizes, size => size > 1); // group commit happened
        var result = await AuditVerifier.VerifyAsync(AuditTestData.Stream(_store.Events), _store.Checkpoints, _key.PublicKey, new(), CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
        Assert.True(result.CheckpointsVerified >= 5);
    }

    [Fact]
    public async Task Event_time_comes_from_the_injected_clock_truncated_to_microseconds()
    {
        await using var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        var e = await log.AppendAsync(Entry());
        Assert.Equal("2026-11-30T08:00:00.123456Z", AuditChain.FormatTime(e.Time));
    }

    [Fact]
    public async Task When_the_store_fails_the_append_fails_and_nothing_is_acknowledged()
    {
        await using var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        await log.AppendAsync(Entry(1));
        _store.Fail = true;
        await Assert.ThrowsAsync<AuditLogUnavailableException>(async () => await log.AppendAsync(Entry(2)));
        Assert.NotNull(log.Fault);
        Assert.Single(_store.Events);

        _store.Fail = false;
        var next = await log.AppendAsync(Entry(3));
        Assert.Equal(2, next.Seq);
        Assert.Null(log.Fault);
    }

    [Fact]
    public async Task An_invalid_entry_is_refused_before_it_is_queued()
    {
        await using var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(Entry() with { Type = "NoDots" }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(Entry() with { Reason = new string('x', 5000) }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(Entry() with { Target = "a\ud800b" }));
        Assert.Empty(_store.Events);
    }

    [Fact]
    public async Task Appending_before_start_or_after_shutdown_fails_closed()
    {
        var log = NewLog();
        await Assert.ThrowsAsync<AuditLogUnavailableException>(async () => await log.AppendAsync(Entry()));
        await log.StartAsync(CancellationToken.None);
        await log.DisposeAsync();
        await Assert.ThrowsAsync<AuditLogUnavailableException>(async () => await log.AppendAsync(Entry()));
    }

    [Fact]
    public async Task When_another_instance_appended_the_writer_rechains_onto_its_head()
    {
        await using var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        var first = await log.AppendAsync(Entry(1));
        var foreign = new AuditEvent(2, first.Time, "other.instance", AuditActor.System, AuditOutcome.Success, null, null, null, null, "{}", first.Hash, []);
        _store.AppendForeign(foreign with { Hash = AuditChain.ComputeHash(foreign) });

        var third = await log.AppendAsync(Entry(3));
        Assert.Equal(3, third.Seq);
        var result = await AuditVerifier.VerifyAsync(AuditTestData.Stream(_store.Events), [], null, new(), CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
    }

    [Fact]
    public async Task A_checkpoint_is_signed_every_N_events_and_at_shutdown()
    {
        var log = NewLog(new AuditLogOptions { CheckpointEveryEvents = 10, MaxBatchSize = 1 });
        await log.StartAsync(CancellationToken.None);
        for (var i = 0; i < 25; i++) await log.AppendAsync(Entry(i));
        Assert.Equal([10L, 20L], _store.Checkpoints.Select(c => c.Seq));
        await log.DisposeAsync();
        Assert.Equal(25, _store.Checkpoints[^1].Seq);
        Assert.All(_store.Checkpoints, c => Assert.True(AuditSigningKey.Verify(_key.PublicKey, c)));
    }

    [Fact]
    public async Task A_checkpoint_is_signed_when_the_interval_passes()
    {
        await using var log = NewLog(new AuditLogOptions { CheckpointInterval = TimeSpan.FromSeconds(10) });
        await log.StartAsync(CancellationToken.None);
        await log.AppendAsync(Entry());
        Assert.Empty(_store.Checkpoints);
        _time.Advance(TimeSpan.FromSeconds(11));
        await WaitUntil(() => _store.Checkpoints.Count == 1);
        Assert.Equal(1, _store.Checkpoints[0].Seq);
    }

    [Fact]
    public async Task Flush_waits_for_earlier_appends_and_checkpoints_the_head()
    {
        _store.CommitDelay = TimeSpan.FromMilliseconds(20);
        await using var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        var pending = Enumerable.Range(0, 50).Select(i => log.AppendAsync(Entry(i)).AsTask()).ToList();
        await log.FlushAsync();
        Assert.Equal(50, _store.Events.Count); // everything queued before the flush is durable
        await Task.WhenAll(pending);
        Assert.Equal(50, _store.Checkpoints[^1].Seq);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    public void Dispose() => _key.Dispose();
}
