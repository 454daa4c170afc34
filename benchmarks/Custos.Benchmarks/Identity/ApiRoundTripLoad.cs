using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Custos.Benchmarks.Audit;
using HdrHistogram;

namespace Custos.Benchmarks.Identity;

/// <summary>
/// Latency of an authenticated no-op API call (<c>GET /v1/auth/whoami</c> with a bearer token) over one keep-alive
/// HTTPS connection, against references on the same server and connection, interleaved request by request so that
/// load from other processes hits every series alike:
/// <list type="bullet">
/// <item><c>GET /healthz</c>: Kestrel, TLS and the common middleware, no authentication (the floor).</item>
/// <item><c>GET /v1/auth/session</c>: the authenticated no-op (validates the token, answers from the cached session, no database read).</item>
/// <item><c>GET /v1/auth/whoami</c> without a token: routing and the authentication middleware's 401 problem, no session lookup.</item>
/// </list>
/// </summary>
internal static class ApiRoundTripLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var requests = LoadOptions.Int(args, "--requests", 20_000);
        var warmup = LoadOptions.Int(args, "--warmup", 3_000);
        await using var server = await BenchServer.StartAsync(new Dictionary<string, string>());
        using var client = server.CreateClient(maxConnections: 1);
        var token = new AuthenticationHeaderValue("Bearer", server.AdminToken);

        var series = new (string Name, string Path, AuthenticationHeaderValue? Auth, HttpStatusCode Expected)[]
        {
            ("healthz", "/healthz", null, HttpStatusCode.OK),
            ("session", "/v1/auth/session", token, HttpStatusCode.OK),
            ("whoami", "/v1/auth/whoami", token, HttpStatusCode.OK),
            ("whoami_no_token_401", "/v1/auth/whoami", null, HttpStatusCode.Unauthorized),
        };
        var histograms = series.Select(_ => new LongHistogram(1, TimeStamp.Seconds(10), 3)).ToArray();
        for (var i = 0; i < warmup + requests; i++)
        {
            for (var s = 0; s < series.Length; s++)
            {
                var (_, path, auth, expected) = series[s];
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Authorization = auth;
                var t0 = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request);
                var elapsed = Stopwatch.GetTimestamp() - t0;
                if (response.StatusCode != expected)
                    throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                if (i >= warmup) histograms[s].RecordValue(elapsed);
            }
        }

        static double Us(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        var floor = histograms[0];
        for (var s = 0; s < series.Length; s++)
        {
            var h = histograms[s];
            Console.WriteLine(
                $"api-roundtrip series={series[s].Name} requests={h.TotalCount} us p50={Us(h.GetValueAtPercentile(50)):F1} p90={Us(h.GetValueAtPercentile(90)):F1} " +
                $"p99={Us(h.GetValueAtPercentile(99)):F1} max={Us(h.GetMaxValue()):F0} p50_minus_healthz={Us(h.GetValueAtPercentile(50) - floor.GetValueAtPercentile(50)):F1} " +
                $"p99_minus_healthz={Us(h.GetValueAtPercentile(99) - floor.GetValueAtPercentile(99)):F1}");
        }
        return 0;
    }
}
