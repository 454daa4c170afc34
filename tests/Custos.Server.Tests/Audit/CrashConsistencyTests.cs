using Custos.Server.Tests.Fixtures;
using Custos.Storage;
using Custos.Testing;

namespace Custos.Server.Tests.Audit;

/// <summary>
/// An event is durable before its append is acknowledged: the harness appends from 256 concurrent writers, prints each
/// acknowledged sequence number, and is killed with SIGKILL mid-stream. Every acknowledged event must be in the
/// database, as written, and the chain must verify.
/// </summary>
public sealed class CrashConsistencyTests(SharedPostgres postgres) : IDisposable
{
    private const int Writers = 256;
    private const int AcksBeforeKill = 5_000;
    private readonly TempDirectory _root = new("custos-crash");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Sigkill_loses_no_acknowledged_event_and_leaves_a_chain_that_verifies(DatabaseEngine engine)
    {
        var database = engine == DatabaseEngine.Sqlite ? AuditDatabase.Sqlite(_root.Combine("harness.db")) : await postgres.CreateDatabaseAsync();

        IReadOnlyList<Ack> acks;
        await using (var harness = HarnessProcess.Start(database.Url, Writers))
        {
            await harness.WaitForAcksAsync(AcksBeforeKill / 2, TimeSpan.FromSeconds(120));
            // Verifying a log while it grows must not mistake the new events or checkpoints for tampering.
            var live = await CustosCli.VerifyAsync(database);
            Assert.True(live.ExitCode == 0, "verify during appends: " + live);
            await harness.WaitForAcksAsync(AcksBeforeKill, TimeSpan.FromSeconds(120));
            acks = await harness.KillAsync();
        }
        Assert.True(acks.Count >= AcksBeforeKill);
        Assert.Equal(acks.Count, acks.Select(a => a.Seq).Distinct().Count());

        // Verify first: the offline verifier must cope with the crashed database as the kill left it (for SQLite, a hot WAL).
        var verify = await CustosCli.VerifyAsync(database);
        Assert.True(verify.ExitCode == 0, verify.ToString());

        var stored = (await database.EventsAsync()).ToDictionary(e => e.Seq);
        Assert.True(verify.Json.GetProperty("events").GetInt64() == stored.Count, verify.ToString());
        var missing = acks.Where(a => !stored.ContainsKey(a.Seq)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acks.Count} acknowledged events are missing, e.g. seq {missing.FirstOrDefault()?.Seq}");
        var wrong = acks.Where(a => stored[a.Seq].ActorId != $"writer-{a.Writer}" || stored[a.Seq].Target != $"n/{a.N}").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} acknowledged events hold another writer's entry, e.g. seq {wrong.FirstOrDefault()?.Seq}");

        // No writer's acknowledgements skip ahead: each writer's n are acknowledged in order, 0, 1, 2, ...
        foreach (var writer in acks.GroupBy(a => a.Writer))
            Assert.Equal(Enumerable.Range(0, writer.Count()), writer.Select(a => a.N).Order());
    }
}
