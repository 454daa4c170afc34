using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Policy;
using Custos.Server.Tests.Fixtures;
using Custos.Server.Tests.Identity;
using Custos.Ssh.Keys;
using Custos.Testing;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// Revocation and the KRL, checked by the real <c>ssh-keygen -Q</c>: by serial, by key, by identity, automatically on
/// suspension; the KRL's ETag; refusals of bad or unauthorised requests.
/// </summary>
public sealed class SshRevocationTests
{
    private const string OpsRole = "kind: role\nname: ops\nallow:\n  resources: [{ kind: ssh_node }]\n  actions: [ssh.session]\n  logins: [root]\n";

    private sealed class Scenario : IAsyncDisposable
    {
        public required IdentityScenario S { get; init; }
        public required IdentityApi Alice { get; init; }
        public TempDirectory Dir { get; } = new("custos-krl");

        public async Task<string> IssueAsync(string publicKey)
        {
            var issued = (await Alice.PostAsync("/v1/certs/ssh", new SshCertificateRequest(publicKey, "node-a", "root", null, null))).Expect(HttpStatusCode.OK).As<SshCertificateResponse>();
            var file = Dir.Combine($"cert-{issued.Serial}.pub");
            await File.WriteAllTextAsync(file, issued.Certificate + "\n");
            return file;
        }

        /// <summary>Fetches the KRL and asks ssh-keygen whether the certificate in <paramref name="file"/> is revoked.</summary>
        public async Task<bool> RevokedAsync(string file)
        {
            using var anonymous = S.Server.Api();
            using var response = await anonymous.Client.GetAsync("/v1/ca/ssh/krl");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var krl = Dir.Combine("custos.krl");
            await File.WriteAllBytesAsync(krl, await response.Content.ReadAsByteArrayAsync());
            var start = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-Q", "-f", krl, file }) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode is 0 or 1, output);
            Assert.Equal(process.ExitCode == 1, output.Contains("REVOKED", StringComparison.Ordinal));
            return process.ExitCode == 1;
        }

        public async ValueTask DisposeAsync()
        {
            Alice.Dispose();
            Dir.Dispose();
            await S.DisposeAsync();
        }
    }

    private static async Task<Scenario> StartAsync()
    {
        var s = await IdentityScenario.StartAsync();
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("node-a", "ssh_node", "127.0.0.1:2222", null, null, true, null, null, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/roles", new RoleWriteRequest(OpsRole, null))).Expect(HttpStatusCode.Created);
        var totp = await s.AddUserAsync("alice", ["user", "ops"]);
        return new Scenario { S = s, Alice = await s.LoginAsync("alice", totp) };
    }

    private static string NewKey() { using var key = SshPrivateKey.Generate(); return key.PublicKey.ToText(); }

    [Fact]
    public async Task Serial_and_key_revocations_reach_the_krl_that_ssh_keygen_reads()
    {
        await using var x = await StartAsync();
        var (keyA, keyB) = (NewKey(), NewKey());
        var first = await x.IssueAsync(keyA);
        var second = await x.IssueAsync(keyA);
        var other = await x.IssueAsync(keyB);
        Assert.False(await x.RevokedAsync(first));

        var serial = Path.GetFileNameWithoutExtension(first)["cert-".Length..];
        var revoked = (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest(serial, null, null, "laptop lost"))).Expect(HttpStatusCode.OK).As<SshRevocationResponse>();
        Assert.Equal(1, revoked.Added);
        Assert.True(await x.RevokedAsync(first));
        Assert.False(await x.RevokedAsync(second));
        Assert.Equal(0, (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest(serial, null, null, null))).Expect(HttpStatusCode.OK).As<SshRevocationResponse>().Added);

        // Revoking the key takes every certificate of it with it, and nothing else.
        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest(null, keyA, null, "key compromised"))).Expect(HttpStatusCode.OK);
        Assert.True(await x.RevokedAsync(second));
        Assert.False(await x.RevokedAsync(other));

        var list = (await x.S.Admin.GetAsync("/v1/ca/ssh/revocations")).Expect(HttpStatusCode.OK).As<SshRevocationListResponse>();
        Assert.Equal(["key", "serial"], list.Revocations.Select(r => r.Kind));
        Assert.Null(list.Revocations[0].ExpiresAt);
        var events = (await x.S.Admin.GetAsync("/v1/audit/events?type=ssh_cert.revoke")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Equal("laptop lost", events[0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Suspending_a_user_revokes_every_certificate_they_hold()
    {
        await using var x = await StartAsync();
        var cert = await x.IssueAsync(NewKey());
        Assert.False(await x.RevokedAsync(cert));
        (await x.S.Admin.PostAsync("/v1/users/alice/suspend")).Expect(HttpStatusCode.OK);
        Assert.True(await x.RevokedAsync(cert));
        var revoke = (await x.S.Admin.GetAsync("/v1/audit/events?type=ssh_cert.revoke")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray();
        Assert.Equal("user/alice", Assert.Single(revoke)!["target"]!.GetValue<string>());
        Assert.Equal("user suspended", revoke[0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_krl_has_an_etag_and_bad_or_unauthorised_revocations_are_refused()
    {
        await using var x = await StartAsync();
        using var anonymous = x.S.Server.Api();
        using var first = await anonymous.Client.GetAsync("/v1/ca/ssh/krl");
        var etag = first.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/v1/ca/ssh/krl");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await anonymous.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest("1", null, "alice", null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest("-5", null, null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest(null, "ssh-ed25519 %%%", null, null))).Expect(HttpStatusCode.BadRequest, "validation");
        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest(null, null, "nobody", null))).Expect(HttpStatusCode.NotFound);
        (await x.Alice.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest("7", null, null, null))).Expect(HttpStatusCode.Forbidden, "forbidden");
        (await x.S.Admin.PostAsync("/v1/ca/ssh/revocations", new SshRevocationRequest("7", null, null, null))).Expect(HttpStatusCode.OK);
        using var changed = new HttpRequestMessage(HttpMethod.Get, "/v1/ca/ssh/krl");
        changed.Headers.IfNoneMatch.Add(etag);
        using var fresh = await anonymous.Client.SendAsync(changed);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.NotEqual(etag, fresh.Headers.ETag);
    }
}
