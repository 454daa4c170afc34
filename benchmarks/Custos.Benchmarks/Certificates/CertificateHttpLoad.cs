using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Custos.Benchmarks.Audit;
using Custos.Benchmarks.Identity;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using Custos.Ssh.Keys;
using HdrHistogram;

namespace Custos.Benchmarks.Certificates;

/// <summary>
/// SSH user certificate issuance over the HTTP API against a real <c>custos serve</c> (SQLite): N concurrent callers
/// each on its own keep-alive HTTPS connection, <c>POST /v1/certs/ssh</c> request after request (authentication,
/// JSON, the policy decision, signing, the durable audit append), with a per-request latency histogram. Prints
/// requests/s and p50/p99 per caller count, and the <c>/healthz</c> round trip on one connection as the floor.
/// </summary>
internal static class CertificateHttpLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = LoadOptions.Int(args, "--seconds", 10);
        var callerCounts = LoadOptions.Get(args, "--callers", "1,64,256").Split(',').Select(int.Parse).ToArray();
        await using var server = await BenchServer.StartAsync(new Dictionary<string, string>
        {
            ["ca.ssh.issue_rate_per_minute"] = "1000000",
            ["ca.ssh.issue_burst"] = "1000000",
        });
        using (var admin = server.CreateClient(maxConnections: 1))
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
            await BenchServer.PostAsync<ResourceDto>(admin, "/v1/resources", new ResourceRequest("node-a", "ssh_node", "10.0.0.5:22", null, null, true, null,
                new Dictionary<string, string> { ["env"] = "staging" }, null));
            await BenchServer.PostAsync<RoleWriteResponse>(admin, "/v1/roles", new RoleWriteRequest(
                "kind: role\nname: ops\nallow:\n  resources: [{ kind: ssh_node, labels: { env: staging } }]\n  actions: [ssh.session, ssh.port_forward]\n  logins: [root]\n", null));
            using var patch = new HttpRequestMessage(HttpMethod.Patch, "/v1/users/admin") { Content = JsonContent.Create(new UpdateUserRequest(null, null, ["admin", "ops"], null, null), options: BenchServer.Json) };
            using var response = await admin.SendAsync(patch);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PATCH /v1/users/admin: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");

            var floor = new LongHistogram(1, TimeStamp.Seconds(10), 3);
            for (var i = 0; i < 3_000; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var health = await admin.GetAsync("/healthz");
                await health.Content.ReadAsStringAsync();
                if (i >= 500) floor.RecordValue(Stopwatch.GetTimestamp() - t0);
            }
            Console.WriteLine($"cert-http floor=healthz ms p50={Ms(floor.GetValueAtPercentile(50)):F3} p99={Ms(floor.GetValueAtPercentile(99)):F3}");
        }

        using var userKey = SshPrivateKey.Generate();
        var body = new SshCertificateRequest(userKey.PublicKey.ToText(), "node-a", "root", null, null);
        foreach (var callers in callerCounts)
        {
            var clients = Enumerable.Range(0, callers).Select(_ =>
            {
                var c = server.CreateClient(maxConnections: 1);
                c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
                return c;
            }).ToList();
            try
            {
                await Drive(clients, body, TimeSpan.FromSeconds(2), null);
                var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(30), 3);
                var start = Stopwatch.GetTimestamp();
                var count = await Drive(clients, body, TimeSpan.FromSeconds(seconds), histogram);
                var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                Console.WriteLine($"cert-http callers={callers} requests={count} per_s={count / elapsed:F0} ms p50={Ms(histogram.GetValueAtPercentile(50)):F2} " +
                    $"p99={Ms(histogram.GetValueAtPercentile(99)):F2} max={Ms(histogram.GetMaxValue()):F1}");
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }
        Console.WriteLine($"cert-http server rss_mib={server.ReadStatusKiB("VmRSS") / 1024} peak_mib={server.ReadStatusKiB("VmHWM") / 1024}");
        return 0;
    }

    private static async Task<long> Drive(IReadOnlyList<HttpClient> clients, SshCertificateRequest body, TimeSpan duration, LongConcurrentHistogram? histogram)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long total = 0;
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            long n = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var response = await client.PostAsJsonAsync("/v1/certs/ssh", body, BenchServer.Json);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"POST /v1/certs/ssh: {(int)response.StatusCode} {text}");
                histogram?.RecordValue(Stopwatch.GetTimestamp() - t0);
                n++;
            }
            Interlocked.Add(ref total, n);
        })));
        return total;
    }

    private static double Ms(long ticks) => ticks * 1_000.0 / Stopwatch.Frequency;
}
