using System.Data.Common;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Bootstrap;
using Custos.Core.Crypto;
using Custos.Core.Installation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Storage.Tests;

/// <summary>
/// The storage contract: every test here runs against SQLite and against a real PostgreSQL cluster, so both engines
/// behave the same for everything Custos relies on.
/// </summary>
public abstract partial class StoreContract : IAsyncLifetime
{
    private readonly List<RelationalStore> _stores = [];

    /// <summary>A store on a fresh, empty database (not migrated).</summary>
    protected abstract Task<RelationalStore> NewStoreAsync();

    /// <summary>A second store on the same database as the last one created.</summary>
    protected abstract RelationalStore SameDatabase();

    /// <summary>Runs raw SQL against the last database, as an attacker or an operator with direct access would.</summary>
    protected abstract Task ExecuteRawAsync(string sql);

    protected async Task<RelationalStore> MigratedAsync()
    {
        var store = await NewStoreAsync();
        _stores.Add(store);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    protected RelationalStore Track(RelationalStore store)
    {
        _stores.Add(store);
        return store;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _stores) await s.DisposeAsync();
    }

    private static AuditLog NewLog(IAuditStore store, AuditSigningKey key, TimeProvider? time = null) =>
        new(store, key, time ?? TimeProvider.System, new AuditLogOptions { CheckpointEveryEvents = 100 }, NullLogger<AuditLog>.Instance);

    private static AuditEntry Entry(int i, string type = "user.login", string actor = "alice") =>
        new(type, new AuditActor("user", "id-" + actor, actor), (AuditOutcome)(i % 3), Target: "node/" + (i % 4), Reason: i % 2 == 0 ? null : "r",
            Source: new AuditSource("10.0.0.1", "curl/8"), RequestId: "req-" + i, Details: new JsonObject { ["i"] = i, ["s"] = "ü\u0001" });

    [Fact]
    public async Task Migrating_twice_is_harmless()
    {
        var store = await MigratedAsync();
        await store.MigrateAsync(CancellationToken.None);
        Assert.Equal(AuditHead.Empty, await store.GetHeadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Two_instances_migrating_at_once_both_succeed()
    {
        var a = await NewStoreAsync();
        Track(a);
        var b = Track(SameDatabase());
        await Task.WhenAll(a.MigrateAsync(CancellationToken.None), b.MigrateAsync(CancellationToken.None));
        await a.SetSettingAsync("k", "v", CancellationToken.None);
        Assert.Equal("v", await b.GetSettingAsync("k", CancellationToken.None));
    }

    [Fact]
    public async Task Appended_events_read_back_identically_and_verify()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var written = new List<AuditEvent>();
        // A fake clock: only the event-count checkpoints (every 100) happen, however slowly a loaded machine appends.
        await using (var log = NewLog(store, key, new FakeTimeProvider(DateTimeOffset.UtcNow)))
        {
            await log.StartAsync(CancellationToken.None);
            for (var i = 0; i < 250; i++) written.Add(await log.AppendAsync(Entry(i)));
        }
        var read = new List<AuditEvent>();
        await foreach (var e in store.ReadAsync(new AuditQuery(), CancellationToken.None)) read.Add(e);
        Assert.Equal(written.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Assert.Equal(written[i].Time, read[i].Time);
            Assert.Equal(written[i].Hash, read[i].Hash);
            Assert.Equal(written[i].Details, read[i].Details);
            Assert.Equal(written[i].Source, read[i].Source);
            Assert.Equal(AuditChain.ComputeHash(read[i]), read[i].Hash); // hashes the same after the round trip
        }
        var checkpoints = new List<AuditCheckpoint>();
        await foreach (var c in store.ReadCheckpointsAsync(CancellationToken.None)) checkpoints.Add(c);
        Assert.Equal([100L, 200L, 250L], checkpoints.Select(c => c.Seq));
        var result = await AuditVerifier.VerifyAsync(store.ReadAsync(new AuditQuery(), CancellationToken.None), checkpoints, key.PublicKey, new(), CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(new AuditHead(250, written[^1].Hash).ToString(), (await store.GetHeadAsync(CancellationToken.None)).ToString());
    }

    [Fact]
    public async Task Filters_select_by_type_family_actor_target_outcome_time_and_cursor()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        await using (var log = NewLog(store, key, time))
        {
            await log.StartAsync(CancellationToken.None);
            for (var i = 0; i < 30; i++)
            {
                await log.AppendAsync(Entry(i, i % 2 == 0 ? "user.login" : "user.logout", i % 3 == 0 ? "bob" : "alice"));
                time.Advance(TimeSpan.FromMinutes(1));
            }
            await log.AppendAsync(Entry(99, "userx.odd"));
        }
        async Task<List<long>> Q(AuditQuery q)
        {
            var list = new List<long>();
            await foreach (var e in store.ReadAsync(q, CancellationToken.None)) list.Add(e.Seq);
            return list;
        }
        Assert.Equal(15, (await Q(new AuditQuery { Type = "user.login" })).Count);
        Assert.Equal(30, (await Q(new AuditQuery { Type = "user.*" })).Count); // userx.odd is not in the family
        Assert.Equal(10, (await Q(new AuditQuery { Actor = "bob" })).Count);
        Assert.Equal(10, (await Q(new AuditQuery { Actor = "id-bob" })).Count);
        Assert.Equal(8, (await Q(new AuditQuery { Target = "node/0", Type = "user.*" })).Count);
        Assert.Equal(10, (await Q(new AuditQuery { Outcome = AuditOutcome.Denied })).Count);
        var since = new DateTimeOffset(2026, 11, 30, 0, 10, 0, TimeSpan.Zero);
        Assert.Equal(Enumerable.Range(11, 5).Select(i => (long)i), await Q(new AuditQuery { Since = since, Until = since.AddMinutes(5) }));
        Assert.Equal([21L, 22L, 23L], await Q(new AuditQuery { AfterSeq = 20, Limit = 3 }));
        Assert.Equal([5L, 6L], await Q(new AuditQuery { AfterSeq = 4, UpToSeq = 6 }));
        Assert.Empty(await Q(new AuditQuery { Actor = "' OR 1=1 --" }));
    }

    [Fact]
    public async Task An_append_onto_a_stale_head_is_rechained_onto_the_real_head()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var entry = Entry(1);
        var details = AuditEntryValidator.Validate(entry);
        await store.AppendAsync(new AuditBatch([(entry, details)], DateTimeOffset.UnixEpoch, AuditHead.Empty, false, null), CancellationToken.None);
        var stale = new AuditBatch([(entry, details)], DateTimeOffset.UnixEpoch, AuditHead.Empty, true, key.SignCheckpoint);
        await store.AppendAsync(stale, CancellationToken.None);
        Assert.True(stale.WasRechained);
        Assert.Equal(2, stale.Events[0].Seq);
        Assert.Equal(2, stale.Checkpoint!.Seq);
        var result = await AuditVerifier.VerifyAsync(store.ReadAsync(new AuditQuery(), CancellationToken.None), [stale.Checkpoint], key.PublicKey, new(), CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
    }

    [Fact]
    public async Task Two_writers_sharing_a_database_interleave_without_forking_the_chain()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        using var key = AuditSigningKey.Generate();
        await using (var logA = NewLog(a, key))
        await using (var logB = NewLog(b, key))
        {
            await logA.StartAsync(CancellationToken.None);
            await logB.StartAsync(CancellationToken.None);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++) await (w % 2 == 0 ? logA : logB).AppendAsync(Entry(i));
            })));
        }
        var checkpoints = new List<AuditCheckpoint>();
        await foreach (var c in a.ReadCheckpointsAsync(CancellationToken.None)) checkpoints.Add(c);
        var result = await AuditVerifier.VerifyAsync(a.ReadAsync(new AuditQuery(), CancellationToken.None), checkpoints, key.PublicKey, new(), CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(320, result.EventCount);
    }

    [Fact]
    public async Task Audit_events_cannot_be_updated_or_deleted_through_SQL()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        await using (var log = NewLog(store, key))
        {
            await log.StartAsync(CancellationToken.None);
            await log.AppendAsync(Entry(1));
        }
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("UPDATE audit_events SET reason = 'x'"));
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("DELETE FROM audit_events"));
        Assert.Equal(1, (await store.GetHeadAsync(CancellationToken.None)).Seq);
    }

    [Fact]
    public async Task A_database_with_foreign_tables_is_refused_untouched()
    {
        var store = await NewStoreAsync();
        Track(store);
        await ExecuteRawAsync("CREATE TABLE invoices (id integer primary key)");
        var e = await Assert.ThrowsAsync<StorageException>(() => store.MigrateAsync(CancellationToken.None));
        Assert.Equal(StorageFailure.Foreign, e.Failure);
        Assert.Contains("invoices", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_newer_than_known_is_refused()
    {
        var store = await MigratedAsync();
        await ExecuteRawAsync("INSERT INTO custos_schema_migrations (version, name, applied_at_us) VALUES (999, 'future', 0)");
        var e = await Assert.ThrowsAsync<StorageException>(() => store.MigrateAsync(CancellationToken.None));
        Assert.Equal(StorageFailure.TooNew, e.Failure);
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_add_once_and_set_overwrites()
    {
        var store = await MigratedAsync();
        Assert.Null(await store.GetSettingAsync("a", CancellationToken.None));
        Assert.Equal("1", await store.GetOrAddSettingAsync("a", "1", CancellationToken.None));
        Assert.Equal("1", await store.GetOrAddSettingAsync("a", "2", CancellationToken.None));
        await store.SetSettingAsync("a", "3", CancellationToken.None);
        Assert.Equal("3", await store.GetSettingAsync("a", CancellationToken.None));
        await store.SetSettingAsync("q'; DROP TABLE settings; --", "x", CancellationToken.None);
        Assert.Equal("x", await store.GetSettingAsync("q'; DROP TABLE settings; --", CancellationToken.None));
    }

    [Fact]
    public async Task A_secret_is_stored_once_under_its_name()
    {
        var store = await MigratedAsync();
        using var master = MasterKey.Generate();
        var sealer = new EnvelopeSealer(master);
        Assert.True(await store.TryAddSecretAsync("k", sealer.Seal("k", [1, 2]), CancellationToken.None));
        Assert.False(await store.TryAddSecretAsync("k", sealer.Seal("k", [3]), CancellationToken.None));
        Assert.Equal([1, 2], sealer.Open("k", (await store.GetSecretAsync("k", CancellationToken.None))!));
        Assert.Null(await store.GetSecretAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task A_bootstrap_token_is_consumed_once_replaced_tokens_die_and_expired_ones_fail()
    {
        var store = await MigratedAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        var (_, first) = BootstrapToken.Issue(time, TimeSpan.FromHours(1));
        await store.ReplaceBootstrapTokenAsync(first, CancellationToken.None);
        var (token, second) = BootstrapToken.Issue(time, TimeSpan.FromHours(1));
        await store.ReplaceBootstrapTokenAsync(second, CancellationToken.None);
        var tokens = await store.ListBootstrapTokensAsync(CancellationToken.None);
        Assert.Equal(second.Id, Assert.Single(tokens).Id);
        Assert.True(BootstrapToken.Matches(token, tokens[0]));
        Assert.False(await store.TryConsumeBootstrapTokenAsync(first.Id, time.GetUtcNow(), CancellationToken.None));
        Assert.False(await store.TryConsumeBootstrapTokenAsync(second.Id, time.GetUtcNow().AddHours(2), CancellationToken.None));
        Assert.True(await store.TryConsumeBootstrapTokenAsync(second.Id, time.GetUtcNow(), CancellationToken.None));
        Assert.False(await store.TryConsumeBootstrapTokenAsync(second.Id, time.GetUtcNow(), CancellationToken.None));
    }
}
