using System.Diagnostics;
using System.Net;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using Custos.Server.Tests.Fixtures;
using Custos.Server.Tests.Identity;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Testing;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// The SSH certificate authority over the API, against a real SQLite file: CA keys at first start, per-target user
/// certificates decided by the policy engine (checked field by field and by the real <c>ssh-keygen -L</c>), the
/// refusals, and the audit trail.
/// </summary>
public sealed class SshCertificateApiTests
{
    private const string Fingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private static async Task<(IdentityScenario S, IdentityApi Alice)> StartAsync(string roleYaml, IDictionary<string, string?>? settings = null)
    {
        var s = await IdentityScenario.StartAsync(settings);
        foreach (var (name, labels) in new[] { ("node-a", "test"), ("node-b", "test"), ("node-prod", "prod") })
        {
            (await s.Admin.PostAsync("/v1/resources", new ResourceRequest(name, "ssh_node", "127.0.0.1:2222", null, Fingerprint, name == "node-b", null,
                new Dictionary<string, string> { ["env"] = labels }, null))).Expect(HttpStatusCode.Created);
        }
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "127.0.0.1", null, null, null, null, null, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest(roleYaml, null))).Expect(HttpStatusCode.Created);
        var totp = await s.AddUserAsync("alice", ["user", "ops"]);
        return (s, await s.LoginAsync("alice", totp));
    }

    private const string OpsRole = """
        kind: role
        name: ops
        allow:
          - resources: [{ kind: ssh_node, labels: { env: test } }]
            actions: [ssh.session, ssh.exec]
            logins: [root, deploy]
          - resources: [{ kind: ssh_node, labels: { env: prod } }]
            actions: [ssh.session]
            logins: [root]
            session: { recording: required }
        """;

    private static string NewKey() { using var key = SshPrivateKey.Generate(); return key.PublicKey.ToText("alice@laptop"); }

    [Fact]
    public async Task The_user_and_host_cas_exist_from_first_start_and_their_public_keys_are_open()
    {
        await using var s = await IdentityScenario.StartAsync();
        using var anonymous = s.Server.Api();
        var user = (await anonymous.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        var host = (await anonymous.GetAsync("/v1/ca/ssh/host")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        var userKey = Assert.Single(user.Keys);
        Assert.Equal("active", userKey.State);
        Assert.StartsWith("ssh-ed25519 ", userKey.PublicKey, StringComparison.Ordinal);
        Assert.Equal(userKey.PublicKey + "\n", user.Lines);
        Assert.Equal(SshPublicKey.ParseText(userKey.PublicKey).GetFingerprint(), userKey.Fingerprint);
        Assert.NotEqual(userKey.PublicKey, Assert.Single(host.Keys).PublicKey);
        (await anonymous.GetAsync("/v1/ca/ssh/root")).Expect(HttpStatusCode.NotFound);
        var created = (await s.Admin.GetAsync("/v1/audit/events?type=ssh_ca.create")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal(2, created.Count);
        Assert.DoesNotContain("PRIVATE", (await s.Admin.GetAsync("/v1/audit/events?limit=1000")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_is_scoped_to_one_node_and_login_for_minutes_and_audited()
    {
        var (s, alice) = await StartAsync(OpsRole);
        await using var _ = s;
        using var __ = alice;
        var publicKey = NewKey();
        var issued = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(publicKey, "node-a", "root", null, null))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>();

        var cert = Assert.IsType<SshCertificate>(SshPublicKey.ParseText(issued.Certificate));
        Assert.Equal(SshCertificateType.User, cert.Type);
        Assert.Equal(["root@node-a"], cert.Principals);
        Assert.StartsWith("alice/", cert.KeyId, StringComparison.Ordinal);
        Assert.Equal(issued.Serial, cert.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(cert.HasValidSignature());
        var ca = (await alice.GetAsync("/v1/ca/ssh/user")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        Assert.Equal(SshPublicKey.ParseText(ca.Keys[0].PublicKey).Blob.ToArray(), cert.SignatureKey.Blob.ToArray());
        Assert.Equal(SshPublicKey.ParseText(publicKey).Blob.ToArray(), cert.Key.Blob.ToArray());
        var now = (ulong)s.Now.ToUnixTimeSeconds();
        Assert.Equal(now - 60, cert.ValidAfter);
        Assert.Equal(now + 300, cert.ValidBefore);
        Assert.Equal(["permit-pty"], cert.Extensions.Select(e => e.Name));
        Assert.Empty(cert.CriticalOptions);
        Assert.Equal(("127.0.0.1", 2222, Fingerprint), (issued.Host, issued.Port, issued.HostKeyFingerprint));
        Assert.Empty(issued.KnownHosts);

        // node-b trusts the host CA: the answer carries an @cert-authority line for it, never a wildcard.
        var b = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(publicKey, "node-b", "deploy", "uptime", null))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>();
        var host = (await alice.GetAsync("/v1/ca/ssh/host")).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
        Assert.Equal($"@cert-authority node-b,[node-b]:2222,[127.0.0.1]:2222 {host.Keys[0].PublicKey}", Assert.Single(b.KnownHosts));
        // Its host key is checked through the CA, not by the registered fingerprint.
        Assert.Null(b.HostKeyFingerprint);
        var exec = Assert.IsType<SshCertificate>(SshPublicKey.ParseText(b.Certificate));
        Assert.Equal("uptime", exec.ForceCommand);
        Assert.Empty(exec.Extensions);
        Assert.NotEqual(cert.Serial, exec.Serial);

        var events = (await s.Admin.GetAsync("/v1/audit/events?type=ssh_cert.issue")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal(2, events.Count);
        var details = events[0]!["details"]!;
        Assert.Equal(issued.Serial, details["serial"]!.GetValue<string>());
        Assert.Equal("root@node-a", details["principal"]!.GetValue<string>());
        Assert.Equal(SshPublicKey.ParseText(publicKey).GetFingerprint(), details["key_fingerprint"]!.GetValue<string>());
        Assert.Equal("ops/allow[0]", details["rules"]![0]!.GetValue<string>());
        Assert.Equal("ssh_node/node-a", events[0]!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ssh_keygen_reads_the_certificate_as_issued()
    {
        var (s, alice) = await StartAsync(OpsRole.Replace("logins: [root, deploy]", "logins: [root, deploy]\n    conditions: { source_networks: [127.0.0.0/8, 10.0.0.0/8] }", StringComparison.Ordinal));
        await using var _ = s;
        using var __ = alice;
        var issued = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(NewKey(), "node-a", "deploy", "systemctl restart app", "2m"))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>();
        using var dir = new TempDirectory("custos-cert");
        var file = dir.Combine("id_ed25519-cert.pub");
        await File.WriteAllTextAsync(file, issued.Certificate + "\n", TestContext.Current.CancellationToken);
        var text = await RunAsync("ssh-keygen", "-L", "-f", file);
        Assert.Contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate", text, StringComparison.Ordinal);
        Assert.Contains($"Key ID: \"{issued.KeyId}\"", text, StringComparison.Ordinal);
        Assert.Contains($"Serial: {issued.Serial}", text, StringComparison.Ordinal);
        Assert.Matches(@"Principals: \s*\n\s+deploy@node-a\n", text);
        Assert.Matches(@"Critical Options: \s*\n\s+force-command systemctl restart app\n\s+source-address 127\.0\.0\.0/8,10\.0\.0\.0/8\n", text);
        Assert.Contains("Extensions: (none)", text, StringComparison.Ordinal);
        var valid = System.Text.RegularExpressions.Regex.Match(text, @"Valid: from (\S+) to (\S+)");
        Assert.True(valid.Success, text);
        var span = DateTime.Parse(valid.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) - DateTime.Parse(valid.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromMinutes(3), span); // 1 minute back-dated + the 2 minutes asked for
    }

    [Fact]
    public async Task Refusals_explain_themselves_are_audited_and_issue_nothing()
    {
        var (s, alice) = await StartAsync(OpsRole);
        await using var _ = s;
        using var __ = alice;
        var key = NewKey();
        var denied = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "postgres", null, null))).Expect(HttpStatusCode.Forbidden, "access-denied");
        Assert.Contains("login", denied.Body, StringComparison.Ordinal);
        var gateway = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-prod", "root", null, null))).Expect(HttpStatusCode.Forbidden, "gateway-required");
        Assert.Contains("recording", gateway.Body, StringComparison.Ordinal);
        Assert.Contains("gateway", gateway.Body, StringComparison.Ordinal);

        using (var cert = SshPrivateKey.Generate())
        {
            var certificateAsKey = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>().Certificate;
            (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(certificateAsKey, "node-a", "root", null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        }
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest("ssh-ed25519 not-base64", "node-a", "root", null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "-oProxyCommand=x", null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", "a\0b", null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, "forever"))).Expect(HttpStatusCode.BadRequest, "validation");
        // Unknown names and other kinds look like any unreachable node (no enumeration), and are audited.
        var unknown = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "nowhere", "root", null, null))).Expect(HttpStatusCode.Forbidden, "access-denied");
        var database = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "db-1", "root", null, null))).Expect(HttpStatusCode.Forbidden, "access-denied");
        Assert.Equal(unknown.Node["detail"]!.GetValue<string>().Replace("nowhere", "X", StringComparison.Ordinal), database.Node["detail"]!.GetValue<string>().Replace("db-1", "X", StringComparison.Ordinal));
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.Unauthorized);

        var events = (await s.Admin.GetAsync("/v1/audit/events?type=ssh_cert.issue")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal(["denied:policy_denied", "denied:gateway_required", "success:", "denied:unknown_node", "denied:unknown_node"],
            events.Select(e => $"{e!["outcome"]!.GetValue<string>()}:{e["reason"]?.GetValue<string>()}"));
    }

    [Fact]
    public async Task Issuance_is_rate_limited_per_identity_and_capped_by_the_role_max_ttl()
    {
        var (s, alice) = await StartAsync(OpsRole.Replace("logins: [root, deploy]", "logins: [root, deploy]\n    session: { max_ttl: 2m }", StringComparison.Ordinal),
            new Dictionary<string, string?> { ["ca.ssh.issue_burst"] = "2", ["ca.ssh.issue_rate_per_minute"] = "6" });
        await using var _ = s;
        using var __ = alice;
        var key = NewKey();
        var first = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>();
        var cert = Assert.IsType<SshCertificate>(SshPublicKey.ParseText(first.Certificate));
        Assert.Equal((ulong)s.Now.ToUnixTimeSeconds() + 120, cert.ValidBefore);
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.OK);
        var limited = (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.Equal(TimeSpan.FromSeconds(10), limited.RetryAfter);
        s.Server.Time.Advance(TimeSpan.FromSeconds(10));
        (await alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(key, "node-a", "root", null, null))).Expect(HttpStatusCode.OK);
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} exited {process.ExitCode}: {error}");
        return output;
    }
}
