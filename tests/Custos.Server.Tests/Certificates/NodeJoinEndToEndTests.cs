using System.Globalization;
using System.Text.Json.Nodes;
using Custos.Server.Tests.Fixtures;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Testing;
using Custos.Testing.OpenSsh;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// A node enrolled with <c>custos node join</c> and configured with the lines of <c>custos admin resources
/// sshd-config</c>, against a real OpenSSH sshd and the stock ssh client: what it accepts, what it refuses (expired,
/// not yet valid, another node's principal, a source-address mismatch, a revoked serial after <c>node sync</c>, a
/// rotated-out CA after the grace period), and host trust through the host CA (the exported <c>@cert-authority</c>
/// line accepts the node's host certificate and refuses a host key the CA did not sign). Tests in this class share one
/// installation and run one after another.
/// </summary>
public sealed class NodeJoinEndToEndTests(JoinedNodeInstallation installation) : IClassFixture<JoinedNodeInstallation>
{
    private CliHome Alice => installation.Alice;

    [Fact]
    public async Task Join_wrote_the_host_certificate_the_user_ca_the_krl_and_one_principals_file_per_login()
    {
        var principals = Path.Combine(installation.ManagedDirectory, "principals");
        Assert.Equal(["root"], Directory.GetFiles(principals).Select(Path.GetFileName));
        Assert.Equal("root@node-a\n", await File.ReadAllTextAsync(Path.Combine(principals, "root"), TestContext.Current.CancellationToken));
        var userCa = await installation.Admin.RunAsync("admin", "ca", "export", "--type", "user");
        Assert.Equal(userCa.Stdout, await File.ReadAllTextAsync(Path.Combine(installation.ManagedDirectory, "user_ca.pub"), TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(installation.ManagedDirectory, "node.json")));
        // join --sshd-config-out wrote the same lines the administrator's sshd-config command prints.
        Assert.Equal(installation.SshdConfigLines, await File.ReadAllTextAsync(Path.Combine(installation.NodeDirectory, "sshd_config.d", "custos.conf"), TestContext.Current.CancellationToken));

        // The host certificate, as ssh-keygen reads it: a host certificate for the node's name and address.
        var listed = await OpenSshProgram.RunAsync("ssh-keygen", "-L", "-f", installation.HostCertificate);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("ssh-ed25519-cert-v01@openssh.com host certificate", listed.Stdout, StringComparison.Ordinal);
        Assert.Contains("Key ID: \"host/node-a\"", listed.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Principals:\s*\n\s*node-a\n\s*127\.0\.0\.1\n", listed.Stdout);
        // The KRL is a real OpenSSH KRL (ssh-keygen -Q reads it; nothing is revoked yet).
        var query = await OpenSshProgram.RunAsync("ssh-keygen", "-Q", "-f", Path.Combine(installation.ManagedDirectory, "revoked.krl"), installation.HostPublicKey);
        Assert.True(query.ExitCode == 0, query.ToString());

        // The administrator sees the enrolment.
        var nodes = await installation.Admin.RunAsync("admin", "resources", "nodes");
        Assert.True(nodes.ExitCode == 0, nodes.ToString());
        Assert.Matches(@"node-a\s+SHA256:\S+\s+\S+\s+\S+\s+\S+\s+yes", nodes.Stdout);

        // The join token is spent: joining again with it is refused, and nothing on the node changes.
        var again = await new CliHome(installation.File("second-node-home")).RunAsync(["node", "join", .. installation.Connect, "--token-file", installation.File("node-a.token"),
            "--host-key", installation.HostPublicKey, "--dir", installation.File("second-managed"), "--logins", "root"]);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("join token", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Custos_ssh_reaches_the_joined_node_and_ssh_checks_its_host_certificate_through_the_host_ca()
    {
        var result = await Alice.RunAsync("ssh", "root@node-a", "--", "id", "-un");
        Assert.True(result.ExitCode == 0, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", result.Stdout);
        var knownHosts = await File.ReadAllTextAsync(Path.Combine(Alice.Root, "keys", "default", "known_hosts"), TestContext.Current.CancellationToken);
        Assert.StartsWith("@cert-authority node-a,", knownHosts, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_ssh_with_the_custos_config_ssh_snippet_gets_a_fresh_certificate_and_checks_the_host_certificate()
    {
        var snippet = await Alice.RunAsync("config", "ssh");
        Assert.True(snippet.ExitCode == 0, snippet.ToString());
        Assert.Contains("Host node-a\n", snippet.Stdout, StringComparison.Ordinal);
        var config = installation.File($"ssh_config-{Guid.NewGuid():n}");
        await File.WriteAllTextAsync(config, snippet.Stdout, TestContext.Current.CancellationToken);
        File.Delete(JoinedNodeInstallation.CertificateFile(Alice));

        // The stock ssh and nothing else: the snippet names the node's address, fetches the certificate and pins the host CA.
        var result = await OpenSshProgram.RunAsync("ssh", "-F", config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@node-a", "id -un");
        Assert.True(result.ExitCode == 0, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", result.Stdout);
        Assert.True(File.Exists(JoinedNodeInstallation.CertificateFile(Alice)), "the snippet did not fetch a certificate");
    }

    [Fact]
    public async Task The_stock_ssh_accepts_the_node_through_the_exported_cert_authority_line_and_refuses_a_host_key_the_ca_did_not_sign()
    {
        var exported = await installation.Admin.RunAsync("admin", "ca", "export", "--type", "host", "--known-hosts");
        Assert.True(exported.ExitCode == 0, exported.ToString());
        Assert.StartsWith("@cert-authority node-a,", exported.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("@cert-authority * ", exported.Stdout, StringComparison.Ordinal);
        var knownHosts = installation.File($"known_hosts-{Guid.NewGuid():n}");
        await File.WriteAllTextAsync(knownHosts, exported.Stdout, TestContext.Current.CancellationToken);
        var certificate = await CertificateForAsync("node-a");

        var accepted = await StrictSshAsync(knownHosts, certificate, installation.NodeA.Port);
        Assert.True(accepted.ExitCode == 0, $"{accepted}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", accepted.Stdout);

        // The same address and port, another sshd with a plain host key (no certificate from the host CA): refused
        // before authentication.
        await installation.StopNodeAsync();
        var impostorDirectory = installation.File($"impostor-{Guid.NewGuid():n}");
        Directory.CreateDirectory(impostorDirectory);
        await OpenSshProgram.GenerateKeyAsync(Path.Combine(impostorDirectory, "ssh_host_ed25519_key"), "impostor");
        try
        {
            await using (var impostor = SshdProcess.Start(impostorDirectory, installation.NodePort,
                [.. installation.NodeSettings.Where(l => !l.StartsWith("HostKey ", StringComparison.Ordinal) && !l.StartsWith("HostCertificate ", StringComparison.Ordinal)),
                 "HostKey " + Path.Combine(impostorDirectory, "ssh_host_ed25519_key")]))
            {
                var refused = await StrictSshAsync(knownHosts, certificate, impostor.Port);
                Assert.True(refused.ExitCode == 255, refused.ToString());
                Assert.Contains("Host key verification failed", refused.Stderr, StringComparison.Ordinal);
                Assert.Equal("", refused.Stdout);
            }
        }
        finally
        {
            installation.StartNode();
        }
    }

    [Fact]
    public async Task Expired_not_yet_valid_source_pinned_and_other_node_certificates_are_refused_by_sshd()
    {
        using var ca = await installation.LoadUserCaKeyAsync();
        var key = SshPublicKey.ParseText(await File.ReadAllTextAsync(JoinedNodeInstallation.KeyFile(Alice) + ".pub", TestContext.Current.CancellationToken));
        var now = DateTimeOffset.UtcNow;

        // A control first: the same CA key, valid now, for root@node-a, is accepted (so each refusal below is the one field).
        var valid = await SignAsync(ca, key, now.AddMinutes(-1), now.AddMinutes(5));
        var ok = await PlainSshAsync(valid);
        Assert.True(ok.ExitCode == 0, $"{ok}\nsshd:\n{installation.NodeA.LogText}");

        await AssertRefusedAsync(await SignAsync(ca, key, now.AddMinutes(-10), now.AddMinutes(-5)), "expired");
        await AssertRefusedAsync(await SignAsync(ca, key, now.AddMinutes(5), now.AddMinutes(10)), "not yet valid");
        await AssertRefusedAsync(await SignAsync(ca, key, now.AddMinutes(-1), now.AddMinutes(5), sourceAddress: "192.0.2.0/24"), "not from a permitted source address");
        await AssertRefusedAsync(await SignAsync(ca, key, now.AddMinutes(-1), now.AddMinutes(5), principal: "root@node-b"), "Certificate does not contain an authorized principal");
    }

    [Fact]
    public async Task A_revoked_serial_is_refused_after_node_sync()
    {
        var certificate = await CertificateForAsync("node-a");
        Assert.Equal(0, (await PlainSshAsync(certificate)).ExitCode);
        var serial = ((SshCertificate)SshPublicKey.ParseText(await File.ReadAllTextAsync(certificate, TestContext.Current.CancellationToken))).Serial.ToString(CultureInfo.InvariantCulture);

        var revoked = await installation.Admin.RunAsync("admin", "ca", "revoke", "--serial", serial, "--reason", "laptop lost");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        // Until the node syncs it still has the old KRL.
        Assert.Equal(0, (await PlainSshAsync(certificate)).ExitCode);

        var synced = await installation.SyncAsync();
        Assert.True(synced.ExitCode == 0, synced.ToString());
        var refused = await PlainSshAsync(certificate);
        Assert.True(refused.ExitCode == 255, $"node-a accepted a revoked certificate: {refused}");
        Assert.Contains("revoked", installation.NodeA.LogText, StringComparison.OrdinalIgnoreCase);
        var query = await OpenSshProgram.RunAsync("ssh-keygen", "-Q", "-f", Path.Combine(installation.ManagedDirectory, "revoked.krl"), certificate);
        Assert.NotEqual(0, query.ExitCode);

        // A fresh certificate (another serial) still works.
        Assert.Equal(0, (await PlainSshAsync(await CertificateForAsync("node-a"))).ExitCode);
    }

    [Fact]
    public async Task A_user_ca_rotation_keeps_old_certificates_working_through_the_grace_period_and_refuses_them_after()
    {
        var old = await CertificateForAsync("node-a");
        await RotateAsync("user", "init", "--grace", "2s");
        Assert.Equal(0, (await installation.SyncAsync()).ExitCode);
        var trusted = await File.ReadAllLinesAsync(Path.Combine(installation.ManagedDirectory, "user_ca.pub"), TestContext.Current.CancellationToken);
        Assert.Equal(2, trusted.Count(l => l.Length > 0));

        await RotateAsync("user", "update_clients");
        var fresh = await CertificateForAsync("node-a");
        Assert.NotEqual(SignerOf(old), SignerOf(fresh));
        Assert.Equal(0, (await PlainSshAsync(fresh)).ExitCode);
        Assert.Equal(0, (await PlainSshAsync(old)).ExitCode);

        await RotateAsync("user", "update_servers");
        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken);
        await RotateAsync("user", "standby");
        Assert.Equal(0, (await installation.SyncAsync()).ExitCode);
        Assert.Single(await File.ReadAllLinesAsync(Path.Combine(installation.ManagedDirectory, "user_ca.pub"), TestContext.Current.CancellationToken), l => l.Length > 0);

        var refused = await PlainSshAsync(old);
        Assert.True(refused.ExitCode == 255, $"node-a accepted a certificate of the rotated-out CA: {refused}");
        Assert.Equal(0, (await PlainSshAsync(fresh)).ExitCode);
        var status = await installation.Admin.RunAsync("admin", "ca", "status", "-o", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("standby", JsonNode.Parse(status.Stdout)!["authorities"]!.AsArray().Single(a => a!["type"]!.GetValue<string>() == "user")!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_host_ca_rotation_gives_the_node_a_new_host_certificate_that_sshd_presents_after_the_reload()
    {
        var before = await File.ReadAllTextAsync(installation.HostCertificate, TestContext.Current.CancellationToken);
        await RotateAsync("host", "init");
        await RotateAsync("host", "update_clients");
        // During the rotation custos ssh trusts both host CA keys.
        Assert.Equal(0, (await Alice.RunAsync("ssh", "root@node-a", "--", "true")).ExitCode);
        await RotateAsync("host", "update_servers");

        var synced = await installation.SyncAsync();
        Assert.True(synced.ExitCode == 0, synced.ToString());
        var after = await File.ReadAllTextAsync(installation.HostCertificate, TestContext.Current.CancellationToken);
        Assert.NotEqual(before, after);
        Assert.NotEqual(SignerOf(before), SignerOf(after));
        // The reload command (SIGHUP) made sshd load it; after standby only the new host CA is trusted, and it works.
        installation.NodeA.WaitUntilListening();
        await RotateAsync("host", "standby", "--force");
        var result = await Alice.RunAsync("ssh", "root@node-a", "--", "id", "-un");
        Assert.True(result.ExitCode == 0, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Single(File.ReadAllLines(Path.Combine(Alice.Root, "keys", "default", "known_hosts")), l => l.StartsWith("@cert-authority", StringComparison.Ordinal));
    }

    private async Task RotateAsync(string type, string phase, params string[] extra)
    {
        var result = await installation.Admin.RunAsync(["admin", "ca", "rotate", "--type", type, "--phase", phase, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static string SignerOf(string certificateFileOrText)
    {
        var text = File.Exists(certificateFileOrText) ? File.ReadAllText(certificateFileOrText) : certificateFileOrText;
        return ((SshCertificate)SshPublicKey.ParseText(text)).SignatureKey.GetFingerprint();
    }

    private async Task AssertRefusedAsync(string certificate, string sshdSays)
    {
        var refused = await PlainSshAsync(certificate);
        Assert.True(refused.ExitCode == 255, $"sshd accepted a certificate it should refuse ({sshdSays}): {refused}");
        Assert.Contains("Permission denied", refused.Stderr, StringComparison.Ordinal);
        Assert.True(installation.NodeA.LogText.Contains(sshdSays, StringComparison.Ordinal), $"sshd did not say \"{sshdSays}\":\n{installation.NodeA.LogText}");
    }

    private async Task<string> SignAsync(SshPrivateKey ca, SshPublicKey key, DateTimeOffset after, DateTimeOffset before, string principal = "root@node-a", string? sourceAddress = null)
    {
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = key,
            Serial = (ulong)Random.Shared.NextInt64(1, long.MaxValue),
            KeyId = "alice/test-signed",
            Principals = [principal],
            ValidAfter = after,
            ValidBefore = before,
            CriticalOptions = sourceAddress is null ? [] : [new(SshCertificateOptionNames.SourceAddress, sourceAddress)],
            Extensions = [new(SshCertificateOptionNames.PermitPty)],
        }, ca);
        var file = installation.File($"signed-{Guid.NewGuid():n}-cert.pub");
        await File.WriteAllTextAsync(file, certificate.ToText("alice/test-signed") + "\n", TestContext.Current.CancellationToken);
        return file;
    }

    private Task<string> CertificateForAsync(string node) => DirectSshClient.CertificateForAsync(Alice, node, installation.File);

    private Task<OpenSshResult> PlainSshAsync(string certificate) => DirectSshClient.PlainSshAsync(Alice, certificate, installation.NodeA.Port);

    /// <summary>The stock ssh with strict host key checking against <paramref name="knownHosts"/> only, as plain <c>ssh node-a</c> would be configured.</summary>
    private Task<OpenSshResult> StrictSshAsync(string knownHosts, string certificate, int port) => OpenSshProgram.RunAsync("ssh",
        "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "HostKeyAlias=node-a", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-i", JoinedNodeInstallation.KeyFile(Alice), "-o", "CertificateFile=" + certificate,
        "-p", port.ToString(CultureInfo.InvariantCulture), "root@127.0.0.1", "id -un");
}
