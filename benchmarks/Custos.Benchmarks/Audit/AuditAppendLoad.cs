using System.Diagnostics;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Installation;
using Custos.Storage;
using Custos.Testing;
using HdrHistogram;
using Microsoft.Extensions.Logging.Abstractions;

namespace Custos.Benchmarks.Audit;

/// <summary>
/// Durable audit appends (fsync'd before acknowledgement) from N concurrent writers, with a per-operation latency
/// histogram of the acknowledgement. writers=1 measures one event per commit; writers=256 measures group commit.
/// </summary>
internal static class AuditAppendLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var engine = LoadOptions.Get(args, "--engine", "sqlite");
        var seconds = LoadOptions.Int(args, "--seconds", 10);
        var writerCounts = LoadOptions.Get(args, "--writers", "1,256").Split(',').Select(int.Parse).ToArray();
        using var dir = new TempDirectory("custos-bench");
        PostgresCluster? cluster = engine == "postgres" ? await PostgresCluster.StartAsync() : null;
        try
        {
            foreach (var writers in writerCounts)
            {
                var location = cluster is null
                    ? DatabaseLocation.SqliteFile(dir.Combine($"bench-{writers}.db"))
                    : PooledLocation(await cluster.CreateDatabaseAsync());
                await RunOneAsync(engine, location, writers, TimeSpan.FromSeconds(seconds));
            }
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
        }
        return 0;
    }

    /// <summary>
    /// The test cluster hands out connection strings with pooling off (tests open few connections and must not keep
    /// them); a server uses pooled connections (the default for a <c>postgres://</c> URL), so the benchmark does too.
    /// </summary>
    private static DatabaseLocation PooledLocation(string connectionString) =>
        DatabaseLocation.Parse(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = true }.ConnectionString);

    private static async Task RunOneAsync(string engine, DatabaseLocation location, int writers, TimeSpan duration)
    {
        await using var store = StoreFactory.Open(location);
        await store.MigrateAsync(CancellationToken.None);
        using var key = AuditSigningKey.Generate();
        await store.SetSettingAsync(SettingKeys.AuditPublicKey, AuditSigningKey.FormatPublicKey(key.PublicKey), CancellationToken.None);
        var timed = new TimedAuditStore(store);
        await using var log = new AuditLog(timed, key, TimeProvider.System, new AuditLogOptions(), NullLogger<AuditLog>.Instance);
        await log.StartAsync(CancellationToken.None);

        // Warm-up, then the measured run.
        await Drive(log, writers, TimeSpan.FromSeconds(1), null);
        var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(10), 3);
        var commitsBefore = log.CommitCount;
        timed.Commits.Reset();
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var start = Stopwatch.GetTimestamp();
        var count = await Drive(log, writers, duration, histogram);
        var commits = log.CommitCount - commitsBefore;
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
        double P(double q) => histogram.GetValueAtPercentile(q) * 1000.0 / Stopwatch.Frequency;
        double C(double q) => timed.Commits.GetValueAtPercentile(q) * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine(
            $"audit-append engine={engine} writers={writers} events={count} seconds={elapsed:F1} rate={count / elapsed:F0}/s batch={count / (double)Math.Max(1, commits):F0} " +
            $"ack_ms p50={P(50):F3} p90={P(90):F3} p99={P(99):F3} p99.9={P(99.9):F3} max={histogram.GetMaxValue() * 1000.0 / Stopwatch.Frequency:F3} " +
            $"commit_ms p50={C(50):F3} p99={C(99):F3} max={timed.Commits.GetMaxValue() * 1000.0 / Stopwatch.Frequency:F3} " +
            $"gc={GC.CollectionCount(0) - gcBefore.Item1}/{GC.CollectionCount(1) - gcBefore.Item2}/{GC.CollectionCount(2) - gcBefore.Item3} " +
            $"gc_pause_ms={(GC.GetTotalPauseDuration() - gcBefore.Item4).TotalMilliseconds:F0} " +
            $"threads={ThreadPool.ThreadCount} cpu={cpu / elapsed:F2}cores cpu_us_per_event={cpu * 1e6 / Math.Max(1, count):F1} load={File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    private static async Task<long> Drive(AuditLog log, int writers, TimeSpan duration, LongConcurrentHistogram? histogram)
    {
        long total = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            long n = 0;
            var actor = new AuditActor("bot", "writer-" + w, "writer-" + w);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t0 = Stopwatch.GetTimestamp();
                await log.AppendAsync(new AuditEntry("bench.append", actor, AuditOutcome.Success, Target: "node/db-1",
                    Source: new AuditSource("10.1.2.3", "custos-bench"), Details: new JsonObject { ["n"] = n }));
                histogram?.RecordValue(Stopwatch.GetTimestamp() - t0);
                n++;
            }
            Interlocked.Add(ref total, n);
        })));
        return total;
    }

    /// <summary>Records how long each store commit (append transaction including its fsync) takes.</summary>
    private sealed class TimedAuditStore(IAuditStore inner) : IAuditStore
    {
        public LongConcurrentHistogram Commits { get; } = new(1, TimeStamp.Seconds(10), 3);

        public Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken) => inner.GetHeadAsync(cancellationToken);

        public async Task AppendAsync(AuditBatch batch, CancellationToken cancellationToken)
        {
            var t0 = Stopwatch.GetTimestamp();
            await inner.AppendAsync(batch, cancellationToken);
            Commits.RecordValue(Stopwatch.GetTimestamp() - t0);
        }

        public IAsyncEnumerable<AuditEvent> ReadAsync(AuditQuery query, CancellationToken cancellationToken) => inner.ReadAsync(query, cancellationToken);

        public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(CancellationToken cancellationToken) => inner.ReadCheckpointsAsync(cancellationToken);
    }
}
