using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Storage;
using Custos.Testing;

namespace Custos.Benchmarks.Audit;

/// <summary>
/// Verification throughput: builds a chain of N events in a SQLite file and in a JSON Lines export, then times a
/// full verification of each (the same code paths as <c>custos audit verify</c>).
/// </summary>
internal static class AuditVerifyLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = LoadOptions.Int(args, "--events", 1_000_000);
        var runs = LoadOptions.Int(args, "--runs", 3);
        var sources = LoadOptions.Get(args, "--source", "sqlite,jsonl").Split(',');
        using var dir = new TempDirectory("custos-bench-verify");
        var dbPath = dir.Combine("verify.db");
        using var key = AuditSigningKey.Generate();
        var checkpoints = new List<AuditCheckpoint>();

        await using (var store = StoreFactory.Open(DatabaseLocation.SqliteFile(dbPath)))
        {
            await store.MigrateAsync(CancellationToken.None);
            var head = AuditHead.Empty;
            const int batchSize = 5000;
            for (var done = 0; done < count; done += batchSize)
            {
                var entries = Enumerable.Range(done, Math.Min(batchSize, count - done)).Select(i =>
                {
                    var entry = new AuditEntry(i % 2 == 0 ? "user.login" : "ssh.session.start", new AuditActor("user", "u" + (i % 100), "user" + (i % 100)),
                        AuditOutcome.Success, Target: "node/web-" + (i % 50), Source: new AuditSource("10.0.0." + (i % 200), "custos-cli/1.0"),
                        RequestId: "req-" + i, Details: new JsonObject { ["session"] = i, ["login"] = "root" });
                    return (entry, AuditEntryValidator.Validate(entry));
                }).ToList();
                var batch = new AuditBatch(entries, DateTimeOffset.UtcNow, head, withCheckpoint: true, key.SignCheckpoint);
                await store.AppendAsync(batch, CancellationToken.None);
                checkpoints.Add(batch.Checkpoint!);
                head = batch.NewHead;
            }
        }
        var exportPath = dir.Combine("export.jsonl");
        await using (var store = StoreFactory.Open(DatabaseLocation.SqliteFile(dbPath), readOnly: true))
        await using (var file = File.Create(exportPath))
        {
            await AuditExport.WriteHeaderAsync(file, new AuditExportHeader(1, AuditSigningKey.FormatPublicKey(key.PublicKey), false, null, "", null), CancellationToken.None);
            var buffer = new ArrayBufferWriter<byte>(1 << 20);
            foreach (var c in checkpoints) AuditExport.WriteCheckpoint(c, buffer);
            await foreach (var e in store.ReadAsync(new AuditQuery(), CancellationToken.None))
            {
                AuditExport.WriteEvent(e, buffer);
                if (buffer.WrittenCount > 1 << 19)
                {
                    file.Write(buffer.WrittenSpan);
                    buffer.ResetWrittenCount();
                }
            }
            file.Write(buffer.WrittenSpan);
        }

        for (var run = 0; run < runs; run++)
        {
            if (sources.Contains("sqlite"))
            await using (var store = StoreFactory.Open(DatabaseLocation.SqliteFile(dbPath), readOnly: true))
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                var result = await AuditVerifier.VerifyStoreAsync(store, checkpoints, key.PublicKey, new(), CancellationToken.None);
                Report("sqlite", result, Stopwatch.GetElapsedTime(start), Process.GetCurrentProcess().TotalProcessorTime - cpu);
            }
            if (sources.Contains("jsonl"))
            await using (var stream = new FileStream(exportPath, new FileStreamOptions { BufferSize = 0 }))
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                var (_, exported, links) = await AuditExport.ReadAsync(stream, CancellationToken.None);
                var result = await AuditVerifier.VerifyLinksAsync(links, exported, key.PublicKey, new(), CancellationToken.None);
                Report("jsonl", result, Stopwatch.GetElapsedTime(start), Process.GetCurrentProcess().TotalProcessorTime - cpu);
            }
        }
        return 0;
    }

    /// <summary>Wall time and the process's CPU time: on a shared machine the CPU time per event is the steadier figure.</summary>
    private static void Report(string source, AuditVerificationResult result, TimeSpan elapsed, TimeSpan cpu)
    {
        if (!result.Intact) throw new InvalidOperationException("benchmark chain did not verify: " + result.Problem);
        Console.WriteLine($"audit-verify source={source} events={result.EventCount} checkpoints={result.CheckpointsVerified} seconds={elapsed.TotalSeconds:F2} rate={result.EventCount / elapsed.TotalSeconds:F0}/s cpu_us_per_event={cpu.TotalMicroseconds / Math.Max(1, result.EventCount):F2}");
    }
}
