using System.Net;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Policy;
using Custos.Server.Tests.Fixtures;
using Custos.Server.Tests.Identity;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// Node enrolment, host trust and CA rotation over the API against a real SQLite file: join tokens, the host-key
/// proof, host certificates (checked field by field), sync and renewal, the refusals and their audit events, the
/// known_hosts export, and each rotation phase as nodes and clients see it.
/// </summary>
public sealed class SshNodeApiTests
{
    private static async Task<IdentityScenario> StartAsync(IDictionary<string, string?>? settings = null, string? fingerprint = null)
    {
        var s = await IdentityScenario.StartAsync(settings);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("node-a", "ssh_node", "10.0.0.5:2222", null, fingerprint, null, null,
            new Dictionary<string, string> { ["env"] = "test" }, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.PostAsync("/v1/resources", new ResourceRequest("db-1", "database", "127.0.0.1", null, null, null, null, null, null))).Expect(HttpStatusCode.Created);
        return s;
    }

    private static async Task<string> TokenAsync(IdentityScenario s, string node = "node-a") =>
        (await s.Admin.PostAsync($"/v1/nodes/{node}/join-tokens", new NodeJoinTokenRequest(null))).Expect(HttpStatusCode.OK).As<NodeJoinTokenResponse>().Token;

    private static async Task<string> ChallengeAsync(IdentityScenario s)
    {
        using var anonymous = s.Server.Api();
        return (await anonymous.PostAsync("/v1/nodes/challenge")).Expect(HttpStatusCode.OK).As<NodeChallengeResponse>().Challenge;
    }

    private static async Task<ApiResponse> JoinAsync(IdentityScenario s, string token, SshPrivateKey hostKey, SshPrivateKey? signer = null)
    {
        var challenge = await ChallengeAsync(s);
        var line = hostKey.PublicKey.ToText("root@node-a");
        var signature = Convert.ToBase64String((signer ?? hostKey).Sign(NodeProof.JoinMessage(challenge, token, line)));
        using var anonymous = s.Server.Api();
        return await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest(token, line, challenge, signature));
    }

    private static async Task<ApiResponse> SyncAsync(IdentityScenario s, SshPrivateKey hostKey, string? currentCertificate, string node = "node-a")
    {
        var challenge = await ChallengeAsync(s);
        var signature = Convert.ToBase64String(hostKey.Sign(NodeProof.SyncMessage(challenge, node)));
        using var anonymous = s.Server.Api();
        return await anonymous.PostAsync($"/v1/nodes/{node}/sync", new NodeSyncRequest(challenge, signature, currentCertificate));
    }

    private static async Task<CaPublicKeysResponse> CaAsync(IdentityScenario s, string type)
    {
        using var anonymous = s.Server.Api();
        return (await anonymous.GetAsync("/v1/ca/ssh/" + type)).Expect(HttpStatusCode.OK).As<CaPublicKeysResponse>();
    }

    private static async Task<int> CountEventsAsync(IdentityScenario s, string type, string outcome) =>
        (await s.Admin.GetAsync($"/v1/audit/events?type={type}&outcome={outcome}&limit=1000")).Expect(HttpStatusCode.OK).Node["events"]!.AsArray().Count;

    [Fact]
    public async Task A_node_joins_with_its_token_and_host_key_and_gets_a_host_certificate_for_its_names()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        var token = await TokenAsync(s);
        Assert.StartsWith("cjt_", token, StringComparison.Ordinal);

        var bundle = (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();

        var certificate = Assert.IsType<SshCertificate>(SshPublicKey.ParseText(bundle.HostCertificate));
        Assert.Equal(SshCertificateType.Host, certificate.Type);
        Assert.Equal(hostKey.PublicKey, certificate.Key);
        Assert.Equal(["node-a", "10.0.0.5"], certificate.Principals);
        Assert.Equal(["node-a", "10.0.0.5"], bundle.HostPrincipals);
        Assert.Equal("host/node-a", certificate.KeyId);
        Assert.Equal(bundle.HostCertificateSerial, certificate.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(certificate.HasValidSignature());
        var hostCa = await CaAsync(s, "host");
        Assert.Equal(SshPublicKey.ParseText(Assert.Single(hostCa.Keys).PublicKey), certificate.SignatureKey);
        var lifetime = TimeSpan.FromSeconds(certificate.ValidBefore) - (s.Now - DateTimeOffset.UnixEpoch);
        Assert.InRange(lifetime, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Empty(certificate.Extensions);
        Assert.True(bundle.HostCertificateRenewed);
        Assert.Equal((await CaAsync(s, "user")).Lines, bundle.UserCaKeys);
        Assert.NotEmpty(Convert.FromBase64String(bundle.Krl));
        Assert.Equal("5m", bundle.SyncInterval);

        // The resource now says clients should trust the host CA for it; the join and that change are audited.
        var resource = (await s.Admin.GetAsync("/v1/resources/node-a")).Expect(HttpStatusCode.OK).As<ResourceDto>();
        Assert.True(resource.TrustHostCa);
        Assert.Equal(1, await CountEventsAsync(s, "node.join_token.issue", "success"));
        Assert.Equal(1, await CountEventsAsync(s, "node.join", "success"));
        var events = (await s.Admin.GetAsync("/v1/audit/events?type=node.join&limit=10")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains(hostKey.PublicKey.GetFingerprint(), events, StringComparison.Ordinal);
        Assert.DoesNotContain(token, (await s.Admin.GetAsync("/v1/audit/events?limit=1000")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_join_token_works_once_and_a_replayed_join_is_refused_and_audited()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        var token = await TokenAsync(s);
        (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.OK);
        (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.Unauthorized, "invalid-join-token");
        (await JoinAsync(s, "cjt_" + new string('A', 43), hostKey)).Expect(HttpStatusCode.Unauthorized, "invalid-join-token");
        Assert.Equal(2, await CountEventsAsync(s, "node.join", "denied"));
    }

    [Fact]
    public async Task An_address_whose_proofs_keep_failing_must_wait()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        for (var i = 0; i < 20; i++)
            (await JoinAsync(s, "cjt_" + new string((char)('A' + i), 43), hostKey)).Expect(HttpStatusCode.Unauthorized, "invalid-join-token");
        // The next attempt, even a good one, waits; sync from the same address too. Not audited: the refusals were.
        var token = await TokenAsync(s);
        var limited = (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.NotNull(limited.RetryAfter);
        (await SyncAsync(s, hostKey, null)).Expect(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.Equal(20, await CountEventsAsync(s, "node.join", "denied"));

        s.Server.Time.Advance(TimeSpan.FromSeconds(10));
        (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_join_token_expires()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        var token = (await s.Admin.PostAsync("/v1/nodes/node-a/join-tokens", new NodeJoinTokenRequest("10m"))).Expect(HttpStatusCode.OK).As<NodeJoinTokenResponse>().Token;
        s.Server.Time.Advance(TimeSpan.FromMinutes(11));
        (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.Unauthorized, "invalid-join-token");
    }

    [Fact]
    public async Task A_join_signed_by_another_key_or_with_a_forged_challenge_is_refused()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        using var other = SshPrivateKey.Generate();
        var token = await TokenAsync(s);
        (await JoinAsync(s, token, hostKey, signer: other)).Expect(HttpStatusCode.Unauthorized, "bad-host-key-proof");

        // A challenge this installation did not make (a flipped byte breaks its MAC), and an expired one.
        var challenge = await ChallengeAsync(s);
        var forged = (challenge[0] == 'A' ? "B" : "A") + challenge[1..];
        var line = hostKey.PublicKey.ToText();
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest(token, line, forged,
            Convert.ToBase64String(hostKey.Sign(NodeProof.JoinMessage(forged, token, line)))))).Expect(HttpStatusCode.Unauthorized, "bad-challenge");
        s.Server.Time.Advance(TimeSpan.FromMinutes(2));
        (await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest(token, line, challenge,
            Convert.ToBase64String(hostKey.Sign(NodeProof.JoinMessage(challenge, token, line)))))).Expect(HttpStatusCode.Unauthorized, "challenge-expired");

        // Malformed input: a clear 400 naming the field.
        (await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest(token, "ssh-ed25519 notbase64!", challenge, "AAAA"))).Expect(HttpStatusCode.BadRequest);
        (await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest("not-a-token", line, challenge, "AAAA"))).Expect(HttpStatusCode.BadRequest);
        (await anonymous.PostAsync("/v1/nodes/join", new NodeJoinRequest(token, line, "short", "AAAA"))).Expect(HttpStatusCode.BadRequest);
        // The token survived all of that: the right proof still joins.
        (await JoinAsync(s, token, hostKey)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_node_registered_with_a_fingerprint_joins_only_with_that_host_key()
    {
        using var hostKey = SshPrivateKey.Generate();
        using var impostor = SshPrivateKey.Generate();
        await using var s = await StartAsync(fingerprint: hostKey.PublicKey.GetFingerprint());
        (await JoinAsync(s, await TokenAsync(s), impostor)).Expect(HttpStatusCode.Forbidden, "host-key-mismatch");
        Assert.Equal(1, await CountEventsAsync(s, "node.join", "denied"));
        (await JoinAsync(s, await TokenAsync(s), hostKey)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Join_tokens_are_only_for_ssh_nodes_and_need_resources_write()
    {
        await using var s = await StartAsync();
        (await s.Admin.PostAsync("/v1/nodes/db-1/join-tokens", new NodeJoinTokenRequest(null))).Expect(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsync("/v1/nodes/nope/join-tokens", new NodeJoinTokenRequest(null))).Expect(HttpStatusCode.NotFound);
        (await s.Admin.PostAsync("/v1/nodes/node-a/join-tokens", new NodeJoinTokenRequest("25h"))).Expect(HttpStatusCode.BadRequest);
        var totp = await s.AddUserAsync("mallory", ["user"]);
        using var mallory = await s.LoginAsync("mallory", totp);
        (await mallory.PostAsync("/v1/nodes/node-a/join-tokens", new NodeJoinTokenRequest(null))).Expect(HttpStatusCode.Forbidden);
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/nodes/node-a/join-tokens", new NodeJoinTokenRequest(null))).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Sync_keeps_a_fresh_host_certificate_renews_an_expiring_one_and_needs_the_enrolled_key()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        var joined = (await JoinAsync(s, await TokenAsync(s), hostKey)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();

        var same = (await SyncAsync(s, hostKey, joined.HostCertificate)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        Assert.False(same.HostCertificateRenewed);
        Assert.Equal(joined.HostCertificateSerial, same.HostCertificateSerial);

        // More than half of its seven days gone: a new one.
        s.Server.Time.Advance(TimeSpan.FromDays(4));
        var renewed = (await SyncAsync(s, hostKey, joined.HostCertificate)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        Assert.True(renewed.HostCertificateRenewed);
        Assert.NotEqual(joined.HostCertificateSerial, renewed.HostCertificateSerial);
        // (The administrator's session did not last four days.)
        using var admin = await s.LoginAsync("admin", s.AdminTotp, IdentityScenario.AdminPassword);
        s.Admin.Token = admin.Token;
        Assert.Equal(1, await CountEventsAsync(s, "node.host_cert.issue", "success"));
        // No certificate sent, or garbage: a new one too.
        Assert.True((await SyncAsync(s, hostKey, null)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>().HostCertificateRenewed);
        Assert.True((await SyncAsync(s, hostKey, "ssh-ed25519-cert-v01@openssh.com AAAAgarbage")).Expect(HttpStatusCode.OK).As<NodeBundleResponse>().HostCertificateRenewed);

        using var other = SshPrivateKey.Generate();
        (await SyncAsync(s, other, null)).Expect(HttpStatusCode.Unauthorized, "bad-host-key-proof");
        (await SyncAsync(s, hostKey, null, node: "node-b")).Expect(HttpStatusCode.Unauthorized, "bad-host-key-proof");
        Assert.Equal(2, await CountEventsAsync(s, "node.sync", "denied"));

        // Deregistered: no more certificates.
        (await s.Admin.DeleteAsync("/v1/resources/node-a")).Expect(HttpStatusCode.NoContent);
        (await SyncAsync(s, hostKey, null)).Expect(HttpStatusCode.Conflict, "node-unregistered");
        var listed = Assert.Single((await s.Admin.GetAsync("/v1/nodes")).Expect(HttpStatusCode.OK).As<EnrolledNodeListResponse>().Nodes);
        Assert.Equal(("node-a", hostKey.PublicKey.GetFingerprint(), false), (listed.Node, listed.HostKeyFingerprint, listed.Registered));
        Assert.NotNull(listed.LastSyncAt);
        Assert.NotNull(listed.HostCertificateValidBefore);
    }

    [Fact]
    public async Task The_known_hosts_export_names_the_enrolled_nodes_or_the_configured_domain_never_a_bare_star()
    {
        await using (var s = await StartAsync())
        {
            var before = (await s.Admin.GetAsync("/v1/ca/ssh/host/known-hosts")).Expect(HttpStatusCode.OK).As<KnownHostsResponse>();
            Assert.Empty(before.Patterns);
            Assert.Equal("", before.Lines);
            using var hostKey = SshPrivateKey.Generate();
            (await JoinAsync(s, await TokenAsync(s), hostKey)).Expect(HttpStatusCode.OK);
            var after = (await s.Admin.GetAsync("/v1/ca/ssh/host/known-hosts")).Expect(HttpStatusCode.OK).As<KnownHostsResponse>();
            Assert.Equal(["node-a", "[node-a]:2222", "[10.0.0.5]:2222"], after.Patterns);
            var hostCa = Assert.Single((await CaAsync(s, "host")).Keys);
            Assert.Equal($"@cert-authority node-a,[node-a]:2222,[10.0.0.5]:2222 {hostCa.PublicKey}\n", after.Lines);
            using var anonymous = s.Server.Api();
            (await anonymous.GetAsync("/v1/ca/ssh/host/known-hosts")).Expect(HttpStatusCode.Unauthorized);
        }
        await using (var s = await StartAsync(new Dictionary<string, string?> { ["ca.ssh.known_hosts_domain"] = "nodes.example.com" }))
        {
            var lines = (await s.Admin.GetAsync("/v1/ca/ssh/host/known-hosts")).Expect(HttpStatusCode.OK).As<KnownHostsResponse>();
            Assert.Equal(["*.nodes.example.com", "[*.nodes.example.com]:*"], lines.Patterns);
            Assert.StartsWith("@cert-authority *.nodes.example.com,[*.nodes.example.com]:* ssh-ed25519 ", lines.Lines, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_manual_user_ca_rotation_trusts_both_keys_switches_signing_and_retires_the_old_key_after_the_grace_period()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        (await JoinAsync(s, await TokenAsync(s), hostKey)).Expect(HttpStatusCode.OK);
        var old = Assert.Single((await CaAsync(s, "user")).Keys);

        // A grace period that is not a duration, or out of range, is refused and nothing moves.
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("init", "soon", null))).Expect(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("init", "31d", null))).Expect(HttpStatusCode.BadRequest);
        Assert.Single((await CaAsync(s, "user")).Keys);
        var init = (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("init", "1h", null))).Expect(HttpStatusCode.OK).As<CaStatusResponse>();
        var user = init.Authorities.Single(a => a.Type == "user");
        Assert.Equal(("init", "manual", "1h"), (user.Phase, user.Mode, user.Grace));
        Assert.Equal(["active", "next"], user.Keys.Select(k => k.State));
        Assert.Equal("standby", init.Authorities.Single(a => a.Type == "host").Phase);
        // Nodes pick up both keys at their next sync; the old one still signs.
        var synced = (await SyncAsync(s, hostKey, null)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        Assert.Equal(2, synced.UserCaKeys.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(old.PublicKey, (await CaAsync(s, "user")).Keys[0].PublicKey);

        // Phases go in order; the grace period is set once, at init.
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("update_servers", null, null))).Expect(HttpStatusCode.Conflict, "wrong-phase");
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("update_clients", "2h", null))).Expect(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("update_clients", null, null))).Expect(HttpStatusCode.OK);
        var switched = await CaAsync(s, "user");
        Assert.Equal(["active", "previous"], switched.Keys.Select(k => k.State));
        Assert.NotEqual(old.PublicKey, switched.Keys[0].PublicKey);
        Assert.Equal(old.PublicKey, switched.Keys[1].PublicKey);
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("update_servers", null, null))).Expect(HttpStatusCode.OK);

        // Standby within the grace period needs --force; after it, not.
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("standby", null, null))).Expect(HttpStatusCode.Conflict, "grace-period");
        s.Server.Time.Advance(TimeSpan.FromMinutes(61));
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest("standby", null, null))).Expect(HttpStatusCode.OK);
        var after = Assert.Single((await CaAsync(s, "user")).Keys);
        Assert.Equal(switched.Keys[0].PublicKey, after.PublicKey);
        Assert.Single((await SyncAsync(s, hostKey, null)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>().UserCaKeys.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(4, await CountEventsAsync(s, "ssh_ca.rotate", "success"));
    }

    [Fact]
    public async Task A_host_ca_rotation_re_signs_host_certificates_from_update_servers_and_rollback_restores_the_old_key()
    {
        await using var s = await StartAsync();
        using var hostKey = SshPrivateKey.Generate();
        var joined = (await JoinAsync(s, await TokenAsync(s), hostKey)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        var old = Assert.Single((await CaAsync(s, "host")).Keys);

        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("init", null, null))).Expect(HttpStatusCode.OK);
        var known = (await s.Admin.GetAsync("/v1/ca/ssh/host/known-hosts")).Expect(HttpStatusCode.OK).As<KnownHostsResponse>();
        Assert.Equal(2, known.Lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("update_clients", null, null))).Expect(HttpStatusCode.OK);
        // Clients are being updated: the host certificate is still the old CA's.
        Assert.False((await SyncAsync(s, hostKey, joined.HostCertificate)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>().HostCertificateRenewed);
        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("update_servers", null, null))).Expect(HttpStatusCode.OK);
        var resigned = (await SyncAsync(s, hostKey, joined.HostCertificate)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        Assert.True(resigned.HostCertificateRenewed);
        var newCa = (await CaAsync(s, "host")).Keys[0];
        Assert.NotEqual(old.PublicKey, newCa.PublicKey);
        Assert.Equal(SshPublicKey.ParseText(newCa.PublicKey), ((SshCertificate)SshPublicKey.ParseText(resigned.HostCertificate)).SignatureKey);

        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("rollback", null, null))).Expect(HttpStatusCode.OK);
        Assert.Equal(old.PublicKey, Assert.Single((await CaAsync(s, "host")).Keys).PublicKey);
        var back = (await SyncAsync(s, hostKey, resigned.HostCertificate)).Expect(HttpStatusCode.OK).As<NodeBundleResponse>();
        Assert.True(back.HostCertificateRenewed);
        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("rollback", null, null))).Expect(HttpStatusCode.Conflict, "wrong-phase");
        (await s.Admin.PostAsync("/v1/ca/ssh/host/rotate", new CaRotateRequest("sideways", null, null))).Expect(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsync("/v1/ca/ssh/nope/rotate", new CaRotateRequest(null, null, null))).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_automatic_rotation_moves_through_every_phase_over_the_grace_period()
    {
        await using var s = await StartAsync();
        var old = Assert.Single((await CaAsync(s, "user")).Keys);
        var started = (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest(null, "30m", null))).Expect(HttpStatusCode.OK).As<CaStatusResponse>();
        var user = started.Authorities.Single(a => a.Type == "user");
        Assert.Equal(("init", "auto"), (user.Phase, user.Mode));
        Assert.NotNull(user.NextPhaseAt);
        (await s.Admin.PostAsync("/v1/ca/ssh/user/rotate", new CaRotateRequest(null, null, null))).Expect(HttpStatusCode.Conflict, "rotation-in-progress");

        foreach (var expected in new[] { "update_clients", "update_servers", "standby" })
        {
            s.Server.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
            await WaitForPhaseAsync(s, expected);
        }
        var final = Assert.Single((await CaAsync(s, "user")).Keys);
        Assert.NotEqual(old.PublicKey, final.PublicKey);
        Assert.Equal(3, await CountEventsAsync(s, "ssh_ca.rotate", "success") - 1);
    }

    private static async Task WaitForPhaseAsync(IdentityScenario s, string phase)
    {
        // The worker runs on the fake clock: nudge it a poll interval at a time until it has made the step.
        for (var i = 0; i < 200; i++)
        {
            var status = (await s.Admin.GetAsync("/v1/ca/ssh/status")).Expect(HttpStatusCode.OK).As<CaStatusResponse>();
            if (status.Authorities.Single(a => a.Type == "user").Phase == phase) return;
            s.Server.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"the automatic rotation did not reach {phase}");
    }
}
