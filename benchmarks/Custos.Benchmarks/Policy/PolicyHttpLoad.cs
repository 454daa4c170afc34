using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Custos.Benchmarks.Audit;
using Custos.Benchmarks.Identity;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using HdrHistogram;

namespace Custos.Benchmarks.Policy;

/// <summary>
/// A policy decision over the HTTP API against a real <c>custos serve</c> holding a generated estate (default 100,000
/// resources imported in one request, 1,000 roles created one by one through the API): <c>POST /v1/access/check</c>
/// (allowed and denied) interleaved request by request on one keep-alive HTTPS connection with <c>GET /healthz</c>
/// (the floor: Kestrel, TLS, middleware) and <c>GET /v1/auth/session</c> (authentication only). Also prints the import
/// time and the latency of a role write (validation, store, audit, recompile of that role). Target: decision p50 ≤ 100 µs.
/// </summary>
internal static class PolicyHttpLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var resources = LoadOptions.Int(args, "--resources", 100_000);
        var roles = LoadOptions.Int(args, "--roles", 1_000);
        var requests = LoadOptions.Int(args, "--requests", 20_000);
        var warmup = LoadOptions.Int(args, "--warmup", 3_000);
        await using var server = await BenchServer.StartAsync(new Dictionary<string, string> { ["policy.import_max_bytes"] = "268435456" });
        using var client = server.CreateClient(maxConnections: 1);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);

        var yaml = new StringBuilder("kind: resources\nresources:\n");
        for (var i = 0; i < resources; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            yaml.Append("  - name: db-").Append(n).Append("\n    kind: database\n    address: 10.").Append((i >> 16) & 255).Append('.').Append((i >> 8) & 255).Append('.').Append(i & 255)
                .Append(":5432\n    labels: { env: ").Append((i % 3) switch { 0 => "prod", 1 => "staging", _ => "dev" })
                .Append(", team: t").Append((i % 100).ToString(CultureInfo.InvariantCulture)).Append(" }\n");
        }
        var t0 = Stopwatch.GetTimestamp();
        var import = await BenchServer.PostAsync<ResourceImportResponse>(client, "/v1/resources/import", new ResourceImportRequest(yaml.ToString()));
        Console.WriteLine($"policy-http import resources={import.Created} bytes={yaml.Length} seconds={Stopwatch.GetElapsedTime(t0).TotalSeconds:F2}");

        var writes = new LongHistogram(1, TimeStamp.Seconds(60), 3);
        for (var r = 0; r < roles; r++)
        {
            var team = (r % 100).ToString(CultureInfo.InvariantCulture);
            var role = $"kind: role\nname: team-{r.ToString(CultureInfo.InvariantCulture)}\nallow:\n  resources: [{{ kind: database, labels: {{ team: t{team}, env: [staging, dev] }} }}]\n" +
                $"  actions: [db.connect, db.query.read]\n  db_users: [app]\n  db_names: [\"*\"]\ndeny:\n  resources: [{{ kind: database, labels: {{ env: prod }} }}]\n  actions: [db.query.write]\n";
            var w0 = Stopwatch.GetTimestamp();
            await BenchServer.PostAsync<RoleWriteResponse>(client, "/v1/roles", new RoleWriteRequest(role, null));
            writes.RecordValue(Stopwatch.GetTimestamp() - w0);
        }
        Console.WriteLine($"policy-http role-write roles={roles} ms p50={Ms(writes.GetValueAtPercentile(50)):F1} p99={Ms(writes.GetValueAtPercentile(99)):F1} max={Ms(writes.GetMaxValue()):F1}");

        using (var patch = new HttpRequestMessage(HttpMethod.Patch, "/v1/users/admin") { Content = JsonContent.Create(new UpdateUserRequest(null, null, ["admin", "team-1", "team-2", "team-3"], null, null), options: BenchServer.Json) })
        using (var response = await client.SendAsync(patch))
        {
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PATCH /v1/users/admin: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // db-1 is staging/t1 (allowed through team-1); db-3 is prod/t3 (no allow matches).
        var series = new (string Name, HttpMethod Method, string Path, object? Body, string? Expect)[]
        {
            ("healthz", HttpMethod.Get, "/healthz", null, null),
            ("session", HttpMethod.Get, "/v1/auth/session", null, null),
            ("check_allow", HttpMethod.Post, "/v1/access/check", new AccessCheckRequest(null, "db.connect", "db-1", null, "app", null, null, null, null), "\"decision\":\"allow\""),
            ("check_deny", HttpMethod.Post, "/v1/access/check", new AccessCheckRequest(null, "db.connect", "db-3", null, "app", null, null, null, null), "\"decision\":\"deny\""),
        };
        var histograms = series.Select(_ => new LongHistogram(1, TimeStamp.Seconds(10), 3)).ToArray();
        for (var i = 0; i < warmup + requests; i++)
        {
            for (var s = 0; s < series.Length; s++)
            {
                var (_, method, path, body, expect) = series[s];
                using var request = new HttpRequestMessage(method, path);
                if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: BenchServer.Json);
                var start = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var elapsed = Stopwatch.GetTimestamp() - start;
                if (response.StatusCode != HttpStatusCode.OK || (expect is not null && !text.Contains(expect, StringComparison.Ordinal)))
                    throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
                if (i >= warmup) histograms[s].RecordValue(elapsed);
            }
        }
        var floor = histograms[0];
        for (var s = 0; s < series.Length; s++)
        {
            var h = histograms[s];
            Console.WriteLine(
                $"policy-http series={series[s].Name} requests={h.TotalCount} us p50={Us(h.GetValueAtPercentile(50)):F1} p90={Us(h.GetValueAtPercentile(90)):F1} " +
                $"p99={Us(h.GetValueAtPercentile(99)):F1} p50_minus_healthz={Us(h.GetValueAtPercentile(50) - floor.GetValueAtPercentile(50)):F1}");
        }
        Console.WriteLine($"policy-http server rss_mib={server.ReadStatusKiB("VmRSS") / 1024} peak_mib={server.ReadStatusKiB("VmHWM") / 1024}");
        return 0;
    }

    private static double Us(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static double Ms(long ticks) => ticks * 1_000.0 / Stopwatch.Frequency;
}
