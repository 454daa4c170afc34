using Custos.Cli.Nodes;
using Custos.Cli.Tests.Client;
using Custos.Testing;

namespace Custos.Cli.Tests.Nodes;

/// <summary>
/// <c>custos node join</c> and <c>custos node sync</c> as the executable runs them, against a stand-in server on real
/// TLS that checks the host-key proofs: what is written where with which modes, what is removed, and how refusals read.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class NodeJoinSyncTests
{
    private static readonly UnixFileMode Public = NodeFiles.PublicMode;
    private static readonly UnixFileMode Directory755 = NodeFiles.DirectoryMode;

    private sealed record Node(TempDirectory Temp, string HostKey, string Dir, string CaFile, string TokenFile)
    {
        public string Home => Temp.Combine("home");

        public string[] Join(NodeFake fake, params string[] more) =>
            ["node", "join", "--server", fake.BaseAddress.ToString(), "--ca-file", CaFile, "--token-file", TokenFile, "--host-key", HostKey, "--dir", Dir, .. more];
    }

    private static Node Prepare(NodeFake fake, TempDirectory temp)
    {
        var keys = temp.Combine("etc-ssh");
        Directory.CreateDirectory(keys);
        var hostKey = NodeHostKeyTests.WriteHostKey(keys);
        var token = temp.Combine("web-1.token");
        File.WriteAllText(token, NodeFake.JoinToken + "\n");
        File.SetUnixFileMode(token, NodeFiles.SecretMode);
        return new Node(temp, hostKey, temp.Combine("etc-ssh", "custos"), fake.WriteCaFile(temp.Combine("server-ca.pem")), token);
    }

    [Fact]
    public async Task Join_proves_the_host_key_and_writes_every_managed_file_with_its_mode()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);

        var result = await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root,deploy", "--reload-command", "systemctl reload ssh"));
        Assert.True(result.Exit == 0, result.Error);

        var layout = new NodeLayout(node.Dir);
        Assert.Equal(fake.UserCaKeys, File.ReadAllText(layout.UserCaFile));
        Assert.Equal(fake.Krl, File.ReadAllBytes(layout.KrlFile));
        Assert.Equal("root@web-1\n", File.ReadAllText(layout.PrincipalsFile("root")));
        Assert.Equal("deploy@web-1\n", File.ReadAllText(layout.PrincipalsFile("deploy")));
        Assert.Equal(File.ReadAllBytes(node.CaFile), File.ReadAllBytes(layout.ServerCaFile));
        var certificate = temp.Combine("etc-ssh", "ssh_host_ed25519_key-cert.pub");
        Assert.Equal(fake.HostCertificate + "\n", File.ReadAllText(certificate));
        foreach (var path in new[] { layout.UserCaFile, layout.KrlFile, layout.PrincipalsFile("root"), layout.ServerCaFile, certificate })
            Assert.Equal(Public, File.GetUnixFileMode(path));
        Assert.Equal(NodeFiles.SecretMode, File.GetUnixFileMode(layout.StateFile));
        Assert.Equal(Directory755, File.GetUnixFileMode(layout.Directory));
        Assert.Equal(Directory755, File.GetUnixFileMode(layout.PrincipalsDirectory));
        Assert.Equal(["deploy", "root"], Directory.GetFiles(layout.PrincipalsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var state = NodeState.Load(layout.StateFile);
        Assert.Equal((ConnectionSettingsText(fake), "web-1", node.HostKey, certificate, "systemctl reload ssh", "\"krl-12\""),
            (state.Server, state.Node, state.HostKey, state.HostCertificate, state.ReloadCommand, state.KrlEtag));
        Assert.Equal(["deploy", "root"], state.Logins);

        var join = fake.Requests.Single(r => r.Path == "/v1/nodes/join").Body;
        Assert.Equal(File.ReadAllText(node.HostKey).Split(' ')[..2], ((string)join["host_public_key"]!).Split(' '));
        Assert.DoesNotContain("PRIVATE", join.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(NodeFake.JoinToken, result.Out + result.Error, StringComparison.Ordinal);
        Assert.Contains(SshdConfigText.Build("web-1", node.Dir, node.HostKey, certificate), result.Out, StringComparison.Ordinal);
        Assert.Contains("reload sshd", result.Out, StringComparison.Ordinal);
        Assert.Contains($"custos node sync --dir {node.Dir} every 5m", result.Out, StringComparison.Ordinal);
    }

    private static string ConnectionSettingsText(NodeFake fake) => Custos.Cli.Client.ConnectionSettings.Display(fake.BaseAddress);

    [Fact]
    public async Task With_out_the_host_certificate_and_the_managed_files_go_into_that_directory()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        var outDir = temp.Combine("out");
        var args = node.Join(fake, "--logins", "root").Where(a => a != "--dir" && a != node.Dir).Concat(["--out", outDir]).ToArray();

        var result = await NodeFake.RunAsync(node.Home, args);
        Assert.True(result.Exit == 0, result.Error);
        Assert.True(File.Exists(Path.Combine(outDir, "ssh_host_ed25519_key-cert.pub")));
        Assert.True(File.Exists(Path.Combine(outDir, "user_ca.pub")));
        Assert.True(File.Exists(Path.Combine(outDir, "node.json")));
        Assert.False(File.Exists(temp.Combine("etc-ssh", "ssh_host_ed25519_key-cert.pub")));
        Assert.Contains($"HostCertificate {outDir}/ssh_host_ed25519_key-cert.pub\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_logins_every_passwd_account_with_a_login_shell_gets_a_principals_file()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        var passwd = temp.Combine("passwd");
        File.WriteAllText(passwd, "root:x:0:0::/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/zsh\n");

        var result = await NodeFake.RunAsync(node.Home, node.Join(fake, "--passwd-file", passwd));
        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal(["alice", "root"], Directory.GetFiles(Path.Combine(node.Dir, "principals")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var state = NodeState.Load(Path.Combine(node.Dir, "node.json"));
        Assert.Null(state.Logins);
        Assert.Equal(passwd, state.PasswdFile);
    }

    [Fact]
    public async Task Sync_rewrites_what_changed_removes_only_its_own_stale_principals_and_runs_the_reload_command()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        var passwd = temp.Combine("passwd");
        File.WriteAllText(passwd, "root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n");
        var reloaded = temp.Combine("reloaded");
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--passwd-file", passwd, "--reload-command", $"echo reloaded >> '{reloaded}'"))).Exit);
        var layout = new NodeLayout(node.Dir);
        File.WriteAllText(layout.PrincipalsFile("carol"), "carol@web-1\n");

        // bob left, the CA is rotating (two keys), a certificate was revoked, and the host certificate was renewed.
        File.WriteAllText(passwd, "root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n");
        fake.UserCaKeys = "ssh-ed25519 AAAAnew custos-user-ca\nssh-ed25519 AAAAold custos-user-ca\n";
        fake.Krl = "SSHKRL\n\0longer fake"u8.ToArray();
        fake.HostCertificate = "ssh-ed25519-cert-v01@openssh.com AAAAcert2 web-1";
        var result = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.True(result.Exit == 0, result.Error);

        Assert.Equal(fake.UserCaKeys, File.ReadAllText(layout.UserCaFile));
        Assert.Equal(fake.Krl, File.ReadAllBytes(layout.KrlFile));
        Assert.Equal(fake.HostCertificate + "\n", File.ReadAllText(temp.Combine("etc-ssh", "ssh_host_ed25519_key-cert.pub")));
        Assert.Equal(["alice", "carol", "root"], Directory.GetFiles(layout.PrincipalsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("reloaded\n", File.ReadAllText(reloaded));
        Assert.Contains("Updated " + layout.UserCaFile + "\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("Removed " + layout.PrincipalsFile("bob"), result.Out, StringComparison.Ordinal);
        var state = NodeState.Load(layout.StateFile);
        Assert.Equal(["alice", "root"], state.Principals);
        Assert.Equal("\"krl-19\"", state.KrlEtag);
        var sync = fake.Requests.Last(r => r.Path == "/v1/nodes/web-1/sync").Body;
        Assert.Equal("ssh-ed25519-cert-v01@openssh.com AAAAcert1 web-1", (string?)sync["host_certificate"]);
    }

    [Fact]
    public async Task Sync_with_nothing_changed_is_quiet_unless_verbose()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"))).Exit);
        fake.Renewed = false;

        Assert.Equal((0, "", ""), await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir));
        var verbose = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir, "-v");
        Assert.Equal((0, "Node web-1 is up to date (host certificate valid until 2030-02-01T00:00:00Z).\n", ""), verbose);
    }

    [Fact]
    public async Task A_renewed_certificate_without_a_reload_command_says_sshd_must_be_reloaded()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"))).Exit);
        fake.HostCertificate = "ssh-ed25519-cert-v01@openssh.com AAAAcert2 web-1";

        var result = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.Equal(0, result.Exit);
        Assert.Contains("reload sshd so that it presents it", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_reload_command_exits_1_naming_it()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root", "--reload-command", "exit 7"))).Exit);
        fake.HostCertificate = "ssh-ed25519-cert-v01@openssh.com AAAAcert2 web-1";

        var result = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains("the reload command \"exit 7\" exited with 7", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_sync_exits_1_with_the_servers_reason_and_writes_nothing()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"))).Exit);
        var before = File.ReadAllText(Path.Combine(node.Dir, "user_ca.pub"));
        fake.RefuseSync = "web-1 was removed from the inventory";
        fake.UserCaKeys = "ssh-ed25519 AAAAother x\n";

        var result = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains("web-1 was removed from the inventory", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(node.Dir, "user_ca.pub")));
    }

    [Fact]
    public async Task An_unreachable_server_or_a_node_that_never_joined_is_an_io_error()
    {
        using var temp = new TempDirectory();
        var missing = await NodeFake.RunAsync(temp.Combine("home"), "node", "sync", "--dir", temp.Combine("nothing"));
        Assert.Equal(ExitCodes.IoError, missing.Exit);
        Assert.Contains("custos node join", missing.Error, StringComparison.Ordinal);

        Node node;
        await using (var fake = await NodeFake.StartAsync())
        {
            node = Prepare(fake, temp);
            Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"))).Exit);
        }
        var unreachable = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.Equal(ExitCodes.IoError, unreachable.Exit);
        Assert.StartsWith("custos node sync: cannot reach ", unreachable.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_key_gone_from_the_node_makes_sync_an_io_error_naming_it()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        Assert.Equal(0, (await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"))).Exit);
        File.Delete(temp.Combine("etc-ssh", "ssh_host_ed25519_key"));

        var result = await NodeFake.RunAsync(node.Home, "node", "sync", "--dir", node.Dir);
        Assert.Equal(ExitCodes.IoError, result.Exit);
        Assert.Contains($"cannot read the host private key {temp.Combine("etc-ssh", "ssh_host_ed25519_key")}", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(fake.Requests, r => r.Path.EndsWith("/sync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_token_file_is_a_usage_error_and_nothing_is_asked_of_the_server()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        File.Delete(node.TokenFile);

        var result = await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"));
        Assert.Equal((ExitCodes.Usage, ""), (result.Exit, result.Out));
        Assert.Equal($"custos node join: --token-file: {node.TokenFile} does not exist\n", result.Error);
        Assert.Empty(fake.Requests);
        Assert.False(Directory.Exists(node.Dir));
    }

    [Fact]
    public async Task A_pub_not_matching_the_host_private_key_is_refused_before_the_token_is_spent()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        using (var other = Custos.Ssh.Keys.SshPrivateKey.Generate()) File.WriteAllText(node.HostKey, other.PublicKey.ToText() + "\n");

        var result = await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"));
        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains("is not the public half of", result.Error, StringComparison.Ordinal);
        Assert.Empty(fake.Requests);
    }

    [Fact]
    public async Task A_wrong_token_is_the_servers_refusal_exit_1_and_no_file_is_written()
    {
        await using var fake = await NodeFake.StartAsync();
        using var temp = new TempDirectory();
        var node = Prepare(fake, temp);
        File.WriteAllText(node.TokenFile, "cjt_SOMETHINGELSE\n");

        var result = await NodeFake.RunAsync(node.Home, node.Join(fake, "--logins", "root"));
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains("the join token is unknown, used or expired", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("SOMETHINGELSE", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(node.Dir, "node.json")));
        Assert.False(File.Exists(Path.Combine(node.Dir, "user_ca.pub")));
    }

    [Theory]
    [InlineData("--logins", "root,../x")]
    [InlineData("--server", "http://insecure:3080")]
    public void Bad_flags_are_usage_errors(string flag, string value)
    {
        var flags = new Dictionary<string, string> { ["--server"] = "https://custos:3080", ["--ca-file"] = "ca.crt", ["--token-file"] = "t", [flag] = value };
        var parse = CustosCommandLine.CreateRoot().Parse(["node", "join", .. flags.SelectMany(f => new[] { f.Key, f.Value })]);
        Assert.Contains(parse.Errors, e => e.Message.StartsWith(flag + ": ", StringComparison.Ordinal));
    }

    [Fact]
    public void Join_needs_the_server_its_ca_file_and_the_token_file()
    {
        var parse = CustosCommandLine.CreateRoot().Parse(["node", "join"]);
        var messages = string.Join("\n", parse.Errors.Select(e => e.Message));
        foreach (var option in new[] { "--server", "--ca-file", "--token-file" }) Assert.Contains(option, messages, StringComparison.Ordinal);
    }
}
