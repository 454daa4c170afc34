using System.Diagnostics;
using Custos.Benchmarks.Audit;
using Custos.Core.Audit;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Core.Installation;
using Custos.Core.Policy;
using Custos.Server.Api.Certificates;
using Custos.Server.Certificates;
using Custos.Server.Configuration;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Server.Policy;
using Custos.Ssh.Keys;
using Custos.Storage;
using Custos.Testing;
using HdrHistogram;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;

namespace Custos.Benchmarks.Certificates;

/// <summary>
/// SSH user certificate issuance end to end in-process, as <c>POST /v1/certs/ssh</c> does it minus HTTP: request
/// validation, the node from the in-memory inventory, the policy decision (and the port-forwarding one), Ed25519
/// signing with the user CA, and the durable audit append (group commit) before the answer — from N concurrent
/// callers, with a per-operation latency histogram. Beside it, in the same run, the raw Ed25519 signing rate of the
/// same CA key on as many threads as cores (the ceiling). Target: ≥ 8,000 certificates/s, p99 ≤ 5 ms on 2 cores.
/// </summary>
internal static class CertificateIssueLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = LoadOptions.Int(args, "--seconds", 10);
        var callerCounts = LoadOptions.Get(args, "--callers", "64").Split(',').Select(int.Parse).ToArray();
        using var dir = new TempDirectory("custos-bench-ca");
        var dataDir = new DataDirectory(dir.Combine("data"));
        dataDir.EnsureCreated();
        await using var store = StoreFactory.Open(DatabaseLocation.SqliteFile(dir.Combine("custos.db")));
        await store.MigrateAsync(CancellationToken.None);
        using var signingKey = AuditSigningKey.Generate();
        await store.SetSettingAsync(SettingKeys.AuditPublicKey, AuditSigningKey.FormatPublicKey(signingKey.PublicKey), CancellationToken.None);
        await using var audit = new AuditLog(store, signingKey, TimeProvider.System, new AuditLogOptions(), NullLogger<AuditLog>.Instance);
        await audit.StartAsync(CancellationToken.None);

        var options = ConfigurationLoader.Load(null, new Dictionary<string, string?>
        {
            ["server.data_dir"] = dataDir.Root,
            ["ca.ssh.issue_rate_per_minute"] = "1000000",
            ["ca.ssh.issue_burst"] = "1000000",
        }, new Dictionary<string, string>());
        var runtime = new CustosRuntime { Store = store, Options = options, DataDirectory = dataDir, SchemaReady = true };
        runtime.SetReady(audit);

        var now = DateTimeOffset.UtcNow;
        await store.TryCreateResourceAsync(new StoredResource("node-a", ResourceKind.SshNode, "10.0.0.5", 22, [], null, true, null,
            new Dictionary<string, string> { ["env"] = "staging" }, 1, now, now), CancellationToken.None);
        var role = RoleParser.Parse("kind: role\nname: ops\nallow:\n  resources: [{ kind: ssh_node, labels: { env: staging } }]\n  actions: [ssh.session, ssh.port_forward]\n  logins: [root]\n");
        await store.TryCreateRoleAsync(new StoredRole("ops", role.ToCanonicalYaml(), 1, now, "bench"), CancellationToken.None);
        using var policy = new PolicyService(store, runtime, TimeProvider.System, NullLogger<PolicyService>.Instance);
        await policy.RefreshAsync(force: true, CancellationToken.None);
        using var ca = new SshCaService(store, store, MasterKey.Generate(), runtime, TimeProvider.System, NullLogger<SshCaService>.Instance);
        await ca.InitializeAsync(audit, CancellationToken.None);
        var issuer = new SshCertificateIssuer(ca, policy, runtime, TimeProvider.System);

        using var userKey = SshPrivateKey.Generate();
        var identity = new IdentityRecord("id-alice", "alice", "alice", null, null, IdentityKind.User, IdentityStatus.Active, ["ops"],
            new Dictionary<string, IReadOnlyList<string>>(), now, null, 1);
        var session = new SessionRecord("session-1", identity.Id, new byte[32], SessionKind.Login, now, now.AddHours(8), now, "127.0.0.1", "bench", null, null);
        var principal = new CustosPrincipal(identity, session);
        var request = new SshCertificateRequest(userKey.PublicKey.ToText(), "node-a", "root", null, null);
        var info = new RequestInfo("127.0.0.1", "bench", "bench");

        // The ceiling: raw signatures with the CA's own key over a certificate-sized message, one thread per core.
        var tbs = new byte[300];
        var signer = ca.Get(Core.Credentials.SshCaType.User).Signer;
        var signStart = Stopwatch.GetTimestamp();
        long signatures = 0;
        var signUntil = signStart + (long)(Stopwatch.Frequency * Math.Min(5, seconds));
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() =>
        {
            long n = 0;
            while (Stopwatch.GetTimestamp() < signUntil) { signer.Sign(tbs); n++; }
            Interlocked.Add(ref signatures, n);
        })));
        var signRate = signatures / Stopwatch.GetElapsedTime(signStart).TotalSeconds;
        Console.WriteLine($"cert-issue raw-signing threads={Environment.ProcessorCount} signatures_per_s={signRate:F0}");

        foreach (var callers in callerCounts)
        {
            await Drive(issuer, principal, request, info, callers, TimeSpan.FromSeconds(1), null);
            var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(10), 3);
            var start = Stopwatch.GetTimestamp();
            var count = await Drive(issuer, principal, request, info, callers, TimeSpan.FromSeconds(seconds), histogram);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double P(double q) => histogram.GetValueAtPercentile(q) * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine($"cert-issue callers={callers} certificates={count} per_s={count / elapsed:F0} ms p50={P(50):F2} p99={P(99):F2} max={histogram.GetMaxValue() * 1000.0 / Stopwatch.Frequency:F1} " +
                $"ratio_to_raw_signing={count / elapsed / signRate:F2} audit_events={audit.AppendedCount} audit_commits={audit.CommitCount}");
        }
        return 0;
    }

    private static async Task<long> Drive(SshCertificateIssuer issuer, CustosPrincipal principal, SshCertificateRequest request, RequestInfo info,
        int callers, TimeSpan duration, LongConcurrentHistogram? histogram)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long total = 0;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            long n = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                var t0 = Stopwatch.GetTimestamp();
                var result = await issuer.IssueAsync(principal, request, info, CancellationToken.None);
                if (result is not Ok<SshCertificateResponse>) throw new InvalidOperationException("issuance refused: " + result);
                histogram?.RecordValue(Stopwatch.GetTimestamp() - t0);
                n++;
            }
            Interlocked.Add(ref total, n);
        })));
        return total;
    }
}
