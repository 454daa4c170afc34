using System.Diagnostics;
using System.Globalization;
using Custos.Core.Policy;
using HdrHistogram;

namespace Custos.Policy.Benchmarks;

/// <summary>
/// Measures on one thread, outside BenchmarkDotNet: per-decision latency from a histogram of every operation, decisions
/// per second, and the latency of who-can, what-can, a full compile and a recompile after one role change.
/// </summary>
public static class PolicyLoad
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var watch = Stopwatch.StartNew();
        var estate = new Estate();
        Console.WriteLine($"estate: {estate.Subjects.Count} identities, {estate.Roles.Count} roles, {estate.Resources.Count} resources (generated in {watch.ElapsedMilliseconds} ms)");

        var compileTimes = Repeat(5, () => estate.Compile());
        var set = estate.Compile();
        Console.WriteLine($"compile (full): {Summary(compileTimes)}");

        var queries = estate.Queries(1 << 20);
        // Warm up: every subject resolved once (subject caches filled, JIT tiered up).
        foreach (var identity in estate.Subjects)
            set.Decide(identity, PolicyActions.AuditRead, (string?)null, queries[0].Context);
        var allowed = 0;
        for (var i = 0; i < queries.Length; i++)
        {
            var q = queries[i];
            if (set.Decide(q.Subject, q.Action, q.Resource, q.Context).IsAllowed)
                allowed++;
        }
        Console.WriteLine($"query mix: {allowed * 100.0 / queries.Length:F1}% allowed");

        var histogram = new LongHistogram(TimeStamp.Seconds(1), 3);
        var end = Stopwatch.GetTimestamp() + (long)(seconds / 2 * Stopwatch.Frequency);
        long n = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            for (var i = 0; i < 4096; i++)
            {
                var q = queries[(n + i) & (queries.Length - 1)];
                var t0 = Stopwatch.GetTimestamp();
                set.Decide(q.Subject, q.Action, q.Resource, q.Context);
                histogram.RecordValue(Stopwatch.GetTimestamp() - t0);
            }
            n += 4096;
        }
        double Us(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decide latency (us, {histogram.TotalCount} samples, includes ~{Us(TimerOverhead()):F3} us timer overhead): p50={Us(histogram.GetValueAtPercentile(50)):F3} p90={Us(histogram.GetValueAtPercentile(90)):F3} p99={Us(histogram.GetValueAtPercentile(99)):F3} p99.9={Us(histogram.GetValueAtPercentile(99.9)):F3} max={Us(histogram.GetMaxValue()):F3}"));

        var start = Stopwatch.GetTimestamp();
        end = start + (long)(seconds / 2 * Stopwatch.Frequency);
        n = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            for (var i = 0; i < 4096; i++)
            {
                var q = queries[(n + i) & (queries.Length - 1)];
                set.Decide(q.Subject, q.Action, q.Resource, q.Context);
            }
            n += 4096;
        }
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput (one thread): {n / elapsed:N0} decisions/s"));

        var resource = estate.Resources[12_345].Name;
        Console.WriteLine($"who-can ssh.session {resource} over {estate.Subjects.Count} identities: {Summary(Repeat(20, () => set.WhoCan(PolicyActions.SshSession, resource, estate.Subjects)))}");
        var who = set.WhoCan(PolicyActions.SshSession, resource, estate.Subjects);
        Console.WriteLine($"  -> {who.Roles.Count} roles, {who.Subjects.Count} identities");
        var subject = estate.Subjects[4_242];
        Console.WriteLine($"what-can {subject.Name}: {Summary(Repeat(20, () => set.WhatCan(subject)))}");
        Console.WriteLine($"  -> {set.WhatCan(subject).Resources.Count} resource entries");
        var widest = estate.Subjects.MaxBy(s => s.Roles.Count)!;
        Console.WriteLine($"what-can (user with most roles, {widest.Name}): {Summary(Repeat(5, () => set.WhatCan(widest)))} -> {set.WhatCan(widest).Resources.Count} entries");

        var changed = estate.Roles[517] with { Description = "changed" };
        Console.WriteLine($"recompile after one role change (WithRole): {Summary(Repeat(20, () => set.WithRole(changed)))}");
        var newSet = set.WithRole(changed);
        Console.WriteLine($"first decision after a recompile (cold subject cache): {Summary(Repeat(20, () => set.WithRole(changed).Decide(subject, queries[1].Action, queries[1].Resource, queries[1].Context)))}");
        GC.KeepAlive(newSet);
        return 0;
    }

    private static long TimerOverhead()
    {
        var best = long.MaxValue;
        for (var i = 0; i < 1000; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
        }
        return best;
    }

    private static List<double> Repeat(int count, Func<object> action)
    {
        action();
        var times = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            GC.KeepAlive(action());
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return times;
    }

    private static string Summary(List<double> ms)
    {
        ms.Sort();
        return string.Create(CultureInfo.InvariantCulture, $"median {ms[ms.Count / 2]:F2} ms, min {ms[0]:F2} ms, max {ms[^1]:F2} ms ({ms.Count} runs)");
    }
}
