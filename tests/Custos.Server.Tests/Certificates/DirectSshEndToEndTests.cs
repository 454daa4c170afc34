using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;
using Custos.Testing.OpenSsh;

namespace Custos.Server.Tests.Certificates;

/// <summary>
/// <c>custos ssh</c> end to end on real OpenSSH: the real <c>custos</c> executable asks a real <c>custos serve</c> for
/// a certificate and runs the stock <c>ssh</c> with it against a real <c>sshd</c> that trusts only Custos's user CA
/// and only the principal <c>root@node-a</c>. Tests in this class share one installation and run one at a time.
/// </summary>
public sealed partial class DirectSshEndToEndTests(DirectSshInstallation installation) : IClassFixture<DirectSshInstallation>
{
    private static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    private CliHome Alice => installation.Alice;

    [Fact]
    public async Task A_role_allowing_exec_as_root_lets_custos_ssh_run_the_command_through_the_real_sshd()
    {
        var result = await Alice.RunAsync("ssh", "root@node-a", "--", "id", "-un");
        Assert.True(result.ExitCode == 0, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", result.Stdout);

        // The certificate forces exactly that command; sshd ran it in place of whatever the client asked for.
        var certificate = await DescribeAsync(DirectSshInstallation.CertificateFile(Alice));
        Assert.Equal("id -un", certificate.CriticalOptions.GetValueOrDefault("force-command"));
        Assert.Equal(["root@node-a"], certificate.Principals);
    }

    [Fact]
    public async Task Without_a_command_custos_ssh_opens_a_shell_on_the_node()
    {
        var result = await Alice.RunAsync("echo shell-for-$(id -un)\nexit 7\n", ["ssh", "root@node-a"]);
        Assert.True(result.ExitCode == 7, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Contains("shell-for-root\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_terminal_the_session_gets_a_pty_which_the_certificate_permits()
    {
        // script(1) gives custos, and so ssh, a terminal; the remote shell then runs on a pty of its own.
        var start = new ProcessStartInfo("script", ["-q", "-e", "-c", $"dotnet '{CustosProcess.CustosDll}' ssh root@node-a", "/dev/null"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["CUSTOS_HOME"] = Alice.Root;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardInput.WriteAsync("echo pty=$(tty)\nexit 3\n");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeouts.Command);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var text = await output;
        Assert.True(process.ExitCode == 3, $"exit {process.ExitCode}:\n{text}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Matches(@"pty=/dev/pts/\d+", text);
    }

    [Fact]
    public async Task The_certificate_names_root_at_node_a_the_user_and_session_and_lives_five_minutes()
    {
        var before = DateTimeOffset.UtcNow;
        var printed = await Alice.RunAsync("ssh", "root@node-a", "--print-only");
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var certificate = await DescribeAsync(DirectSshInstallation.CertificateFile(Alice));

        Assert.Equal("user certificate", certificate.Kind);
        Assert.Equal(["root@node-a"], certificate.Principals);
        Assert.Matches(@"^alice/\S+$", certificate.KeyId);
        Assert.True(ulong.Parse(certificate.Serial, CultureInfo.InvariantCulture) > 0, certificate.Text);
        Assert.Contains("permit-pty", certificate.Extensions);
        Assert.False(certificate.CriticalOptions.ContainsKey("force-command"), certificate.Text);
        Assert.Equal(await CaFingerprintAsync(), certificate.SigningCaFingerprint);
        Assert.True(certificate.ValidAfter <= before + Slack, certificate.Text);
        Assert.True(certificate.ValidBefore <= DateTimeOffset.UtcNow + DefaultTtl + Slack, certificate.Text);
        Assert.True(certificate.ValidBefore - certificate.ValidAfter <= DefaultTtl + ClockSkewAllowance + Slack, certificate.Text);
        Assert.True(certificate.ValidBefore > DateTimeOffset.UtcNow, certificate.Text);

        // What --print-only printed is the ssh command for node-a's address, with the pinned host key check.
        Assert.Contains($"-p {installation.NodeA.Port} root@127.0.0.1", printed.Stdout, StringComparison.Ordinal);
        Assert.Contains("ssh-host-key-check --node node-a --fingerprint SHA256:", printed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shorter_ttl_asked_for_is_the_certificates_lifetime()
    {
        var printed = await Alice.RunAsync("ssh", "root@node-a", "--ttl", "90s", "--print-only");
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var certificate = await DescribeAsync(DirectSshInstallation.CertificateFile(Alice));
        Assert.True(certificate.ValidBefore <= DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90) + TimeSpan.FromSeconds(2), certificate.Text);
        Assert.True(certificate.ValidBefore - certificate.ValidAfter <= TimeSpan.FromSeconds(90) + ClockSkewAllowance + TimeSpan.FromSeconds(1), certificate.Text);
    }

    [Fact]
    public async Task A_certificate_for_root_at_node_b_is_refused_by_node_a()
    {
        var forB = await CertificateForAsync("node-b");
        var forA = await CertificateForAsync("node-a");

        var refused = await PlainSshAsync(forB);
        Assert.True(refused.ExitCode == 255, $"node-a accepted a certificate for root@node-b: {refused}");
        Assert.Contains("Permission denied", refused.Stderr, StringComparison.Ordinal);

        // The same key, the same plain ssh, with node-a's own certificate: accepted (the refusal was the principal).
        var accepted = await PlainSshAsync(forA);
        Assert.True(accepted.ExitCode == 0, $"{accepted}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", accepted.Stdout);
    }

    [Fact]
    public async Task A_user_whose_roles_reach_no_node_is_refused_with_the_engines_explanation()
    {
        var result = await installation.Bob.RunAsync("ssh", "root@node-a", "--", "id");
        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.StartsWith("custos ssh: ssh.exec as root on node-a is not allowed: ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(DirectSshInstallation.CertificateFile(installation.Bob)), "a refused request left a certificate behind");
    }

    [Fact]
    public async Task A_role_that_requires_recording_is_refused_with_the_gateway_explanation()
    {
        var result = await installation.Carol.RunAsync("ssh", "root@node-a", "--", "id", "-un");
        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.StartsWith("custos ssh: the policy requires recording for this access (recorded-ssh/allow)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("gateway", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(DirectSshInstallation.CertificateFile(installation.Carol)), "a refused request left a certificate behind");
    }

    [Fact]
    public async Task A_role_pinning_source_networks_gives_a_source_address_certificate_that_sshd_honours_from_there()
    {
        var result = await installation.Dave.RunAsync("ssh", "root@node-a", "--", "id", "-un");
        Assert.True(result.ExitCode == 0, $"{result}\nsshd:\n{installation.NodeA.LogText}");
        Assert.Equal("root\n", result.Stdout);
        var certificate = await DescribeAsync(DirectSshInstallation.CertificateFile(installation.Dave));
        Assert.Equal("127.0.0.0/8", certificate.CriticalOptions.GetValueOrDefault("source-address"));
        Assert.Equal("id -un", certificate.CriticalOptions.GetValueOrDefault("force-command"));
        Assert.Matches(@"^dave/\S+$", certificate.KeyId);
    }

    [Fact]
    public async Task A_node_registered_with_another_host_key_is_refused_by_ssh_before_logging_in()
    {
        // node-impostor is node-a's address with another key's fingerprint: the key node-a offers is not the registered one.
        var result = await Alice.RunAsync("ssh", "root@node-impostor", "--", "id", "-un");
        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Contains("is registered with SHA256:", result.Stderr, StringComparison.Ordinal);
        // The check exits non-zero for another key, and ssh ends the connection on that (whatever else it was told).
        Assert.True(result.Stderr.Contains("KnownHostsCommand failed", StringComparison.Ordinal), result.ToString());
    }

    private Task<string> CertificateForAsync(string node) => DirectSshClient.CertificateForAsync(Alice, node, installation.File);

    private Task<OpenSshResult> PlainSshAsync(string certificate) => DirectSshClient.PlainSshAsync(Alice, certificate, installation.NodeA.Port);

    private async Task<string> CaFingerprintAsync()
    {
        var file = installation.File($"user-ca-{Guid.NewGuid():n}.pub");
        await File.WriteAllTextAsync(file, installation.UserCaLines.Split('\n')[0] + "\n", TestContext.Current.CancellationToken);
        return await OpenSshProgram.FingerprintAsync(file);
    }

    private static async Task<CertificateText> DescribeAsync(string file)
    {
        var listed = await OpenSshProgram.RunAsync("ssh-keygen", "-L", "-f", file);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        return CertificateText.Parse(listed.Stdout);
    }

    /// <summary>What <c>ssh-keygen -L</c> says about a certificate.</summary>
    private sealed partial record CertificateText(
        string Text,
        string Kind,
        string KeyId,
        string Serial,
        string SigningCaFingerprint,
        DateTimeOffset ValidAfter,
        DateTimeOffset ValidBefore,
        IReadOnlyList<string> Principals,
        IReadOnlyDictionary<string, string> CriticalOptions,
        IReadOnlyList<string> Extensions)
    {
        public static CertificateText Parse(string text)
        {
            string Field(string name) => Regex.Match(text, $@"(?m)^\s+{name}: (.*)$") is { Success: true } m ? m.Groups[1].Value.Trim() : throw new FormatException($"no {name} in:\n{text}");
            var valid = ValidLine().Match(text);
            Assert.True(valid.Success, text);
            // ssh-keygen prints local time, as this process's TimeZoneInfo.Local reads it.
            DateTimeOffset Local(string s) => new(DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal));
            var options = Section(text, "Critical Options").Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1].Trim('"') : "", StringComparer.Ordinal);
            return new CertificateText(
                text,
                Regex.Match(Field("Type"), @"(user|host) certificate$").Value,
                Field("Key ID").Trim('"'),
                Field("Serial"),
                Regex.Match(Field("Signing CA"), @"SHA256:\S+").Value,
                Local(valid.Groups[1].Value),
                Local(valid.Groups[2].Value),
                Section(text, "Principals"),
                options,
                Section(text, "Extensions"));
        }

        // A heading followed by indented lines, or "(none)" on the heading's line.
        private static List<string> Section(string text, string heading)
        {
            var lines = text.Split('\n');
            var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith(heading + ":", StringComparison.Ordinal));
            if (start < 0 || lines[start].Contains("(none)", StringComparison.Ordinal)) return [];
            var indent = lines[start].Length - lines[start].TrimStart().Length;
            return lines.Skip(start + 1).TakeWhile(l => l.Length - l.TrimStart().Length > indent && l.Trim().Length > 0).Select(l => l.Trim()).ToList();
        }

        [GeneratedRegex(@"(?m)^\s+Valid: from (\S+) to (\S+)$")]
        private static partial Regex ValidLine();
    }
}
