using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Custos.Benchmarks.Audit;
using Custos.Core.Identity;
using Custos.Server.Api.Identity;
using HdrHistogram;

namespace Custos.Benchmarks.Identity;

/// <summary>
/// End-to-end password logins against a real <c>custos serve</c> (production Argon2id parameters, SQLite, HTTPS).
/// MFA is relaxed for non-administrators (<c>auth.mfa_required_for_users=false</c>): a TOTP code is accepted once per
/// 30 s step per user, which a sustained load from a few users cannot respect; the password check, which is the cost
/// under test, is unchanged. Open loop: request i is due at start + i/rate whatever the server does, and its latency
/// is measured from that due time, so a stalled server shows up as latency instead of a slower sender. Then a storm:
/// N logins at once on fresh connections, to show that hashing memory stays bounded by
/// <c>auth.password_hash_concurrency</c> and the excess waits or gets 503.
/// </summary>
internal static class LoginLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rates = LoadOptions.Get(args, "--rates", "30,40,50").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var seconds = LoadOptions.Int(args, "--seconds", 20);
        var users = LoadOptions.Int(args, "--users", 20);
        var storm = LoadOptions.Int(args, "--storm", 200);
        var settings = new Dictionary<string, string> { ["auth.mfa_required_for_users"] = "false" };
        var concurrency = LoadOptions.Get(args, "--hash-concurrency", "");
        if (concurrency.Length > 0) settings["auth.password_hash_concurrency"] = concurrency;

        await using var server = await BenchServer.StartAsync(settings);
        var names = await server.AddUsersAsync(users);
        Console.WriteLine($"login-load server_pid={server.Pid} users={names.Count} hash_concurrency={(concurrency.Length > 0 ? concurrency : "default")} " +
            $"cores={Environment.ProcessorCount} rss_after_setup_mib={server.ReadStatusKiB("VmRSS") / 1024.0:F0}");

        await MeasureHashReferenceAsync();
        using var client = server.CreateClient();
        await RunRateAsync(server, client, names, 10, 3, "warm-up");
        foreach (var rate in rates) await RunRateAsync(server, client, names, rate, seconds, "open-loop");
        if (storm > 0) await RunStormAsync(server, names, storm);
        return 0;
    }

    /// <summary>
    /// The reference measured in the same run, in this (otherwise idle) process: one Argon2id verification at the
    /// production parameters, alone and two at a time, which bounds the login rate two cores can reach.
    /// </summary>
    private static async Task MeasureHashReferenceAsync()
    {
        using var hasher = new PasswordHasher(PasswordHashParameters.Owasp, 2, Timeout.InfiniteTimeSpan);
        var phc = await hasher.HashAsync(BenchServer.UserPassword, CancellationToken.None);
        var single = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await hasher.VerifyAsync(BenchServer.UserPassword, phc, CancellationToken.None);
            single.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        single.Sort();
        const int Pairs = 20;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < Pairs; i++)
            await Task.WhenAll(hasher.VerifyAsync(BenchServer.UserPassword, phc, CancellationToken.None), hasher.VerifyAsync(BenchServer.UserPassword, phc, CancellationToken.None));
        var parallelRate = 2 * Pairs / Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine($"argon2id-reference m={hasher.Parameters.MemoryKiB}KiB t={hasher.Parameters.Iterations} p=1 single_ms p50={single[single.Count / 2]:F1} min={single[0]:F1} " +
            $"two_at_a_time={parallelRate:F1}/s");
    }

    private sealed class Outcomes
    {
        public readonly LongConcurrentHistogram Latency = new(1, TimeStamp.Seconds(120), 3);
        public int Ok;
        public int Busy;
        public int BusyWithRetryAfter;
        public int Other;
        public string? FirstOther;
        public long LastCompletion;
    }

    private static async Task RunRateAsync(BenchServer server, HttpClient client, IReadOnlyList<string> names, int rate, int seconds, string label)
    {
        var outcomes = new Outcomes();
        var total = rate * seconds;
        var tasks = new List<Task>(total);
        using var sampler = new RssSampler(server);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
            await WaitUntilAsync(due);
            tasks.Add(LoginAsync(client, names[i % names.Count], due, outcomes));
        }
        await Task.WhenAll(tasks);
        var peakRss = await sampler.StopAsync();
        if (label == "warm-up") return;
        var elapsed = (outcomes.LastCompletion - start) / (double)Stopwatch.Frequency;
        Console.WriteLine(
            $"login-load rate={rate}/s seconds={seconds} sent={total} ok={outcomes.Ok} busy_503={outcomes.Busy} other_errors={outcomes.Other} " +
            $"achieved={outcomes.Ok / elapsed:F1}/s {Percentiles(outcomes.Latency)} peak_rss_mib={peakRss / 1024.0:F0} vmhwm_mib={server.ReadStatusKiB("VmHWM") / 1024.0:F0}" +
            (outcomes.FirstOther is null ? "" : $" first_error=\"{outcomes.FirstOther}\""));
    }

    private static async Task RunStormAsync(BenchServer server, IReadOnlyList<string> names, int count)
    {
        // Fresh connections: a storm also pays the TLS handshakes, as real clients would.
        using var client = server.CreateClient();
        var outcomes = new Outcomes();
        var rssBefore = server.ReadStatusKiB("VmRSS");
        using var sampler = new RssSampler(server);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => LoginAsync(client, names[i % names.Count], start, outcomes))));
        var peakRss = await sampler.StopAsync();
        var elapsed = (outcomes.LastCompletion - start) / (double)Stopwatch.Frequency;
        Console.WriteLine(
            $"login-storm concurrent={count} ok={outcomes.Ok} busy_503={outcomes.Busy} busy_with_retry_after={outcomes.BusyWithRetryAfter} other_errors={outcomes.Other} " +
            $"all_done_s={elapsed:F2} {Percentiles(outcomes.Latency)} rss_before_mib={rssBefore / 1024.0:F0} peak_rss_mib={peakRss / 1024.0:F0} " +
            $"vmhwm_mib={server.ReadStatusKiB("VmHWM") / 1024.0:F0}" + (outcomes.FirstOther is null ? "" : $" first_error=\"{outcomes.FirstOther}\""));
    }

    private static async Task LoginAsync(HttpClient client, string name, long due, Outcomes outcomes)
    {
        try
        {
            using var response = await client.PostAsJsonAsync("/v1/auth/login", new LoginRequest(name, BenchServer.UserPassword, null, null), BenchServer.Json);
            var body = await response.Content.ReadAsStringAsync();
            var now = Stopwatch.GetTimestamp();
            InterlockedMax(ref outcomes.LastCompletion, now);
            // Latency of every answer, refusals included (a 503 after the queue timeout is a slow answer too).
            outcomes.Latency.RecordValue(now - due);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    Interlocked.Increment(ref outcomes.Ok);
                    break;
                case HttpStatusCode.ServiceUnavailable:
                    Interlocked.Increment(ref outcomes.Busy);
                    if (response.Headers.RetryAfter is not null) Interlocked.Increment(ref outcomes.BusyWithRetryAfter);
                    break;
                default:
                    Interlocked.Increment(ref outcomes.Other);
                    Interlocked.CompareExchange(ref outcomes.FirstOther, $"{(int)response.StatusCode} {body}", null);
                    break;
            }
        }
        catch (HttpRequestException e)
        {
            Interlocked.Increment(ref outcomes.Other);
            Interlocked.CompareExchange(ref outcomes.FirstOther, e.Message, null);
        }
    }

    /// <summary>Sleeps most of the way, then yields until the due time (Task.Delay alone is ~1 ms coarse).</summary>
    private static async Task WaitUntilAsync(long due)
    {
        while (true)
        {
            var remaining = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            if (remaining <= 0) return;
            if (remaining > 2) await Task.Delay(TimeSpan.FromMilliseconds(remaining - 1.5));
            else await Task.Yield();
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    internal static string Percentiles(HistogramBase histogram)
    {
        static string Ms(long ticks) => (ticks * 1000.0 / Stopwatch.Frequency).ToString("F1", CultureInfo.InvariantCulture);
        return $"ms p50={Ms(histogram.GetValueAtPercentile(50))} p95={Ms(histogram.GetValueAtPercentile(95))} p99={Ms(histogram.GetValueAtPercentile(99))} max={Ms(histogram.GetMaxValue())}";
    }

    /// <summary>Samples the server's resident set every 10 ms and keeps the largest value.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<long> _loop;

        public RssSampler(BenchServer server) => _loop = Task.Run(async () =>
        {
            long peak = 0;
            while (!_stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ReadStatusKiB("VmRSS"));
                try
                {
                    await Task.Delay(10, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return Math.Max(peak, server.ReadStatusKiB("VmRSS"));
        });

        public async Task<long> StopAsync()
        {
            await _stop.CancelAsync();
            return await _loop;
        }

        public void Dispose() => _stop.Dispose();
    }
}
