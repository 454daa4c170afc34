using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Identity;

/// <summary>
/// The real <c>custos</c> executable against a real <c>custos serve</c> process, as an operator uses them: every
/// secret goes in through standard input or a file, each person has their own $CUSTOS_HOME, and TOTP codes come from
/// the enrolment the command printed, on the real clock (each secret is used for one login, so no code is replayed).
/// </summary>
public sealed class CliEndToEndTests : IDisposable
{
    private const string AdminPassword = "first operator passphrase 4 custos";
    private const string NewAdminPassword = "recovered operator passphrase 7 custos";
    private const string AlicePassword = "payments team passphrase 9 q";
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly TempDirectory _root = new("custos-cli-e2e");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Bootstrap_login_users_sessions_bots_offline_recovery_and_logout_work_end_to_end()
    {
        var dataDir = _root.Combine("data");
        await using var server = await ServerProcess.StartReadyAsync(dataDir);
        string[] connect = ["--server", server.BaseUrl, "--ca-file", server.CertificateFile];
        var admin = new CliHome(_root.Combine("admin-home"));

        // The first administrator, with the token custos serve wrote; a second bootstrap is refused.
        var tokenFile = Path.Combine(dataDir, "bootstrap.token");
        var tokenCopy = _root.Combine("bootstrap.token.copy");
        File.Copy(tokenFile, tokenCopy);
        string[] bootstrapArgs = ["admin", "bootstrap", .. connect, "--token-file", tokenFile, "--user", "admin", "--password-stdin"];
        var bootstrap = Ok(await admin.RunAsync(AdminPassword + "\n", bootstrapArgs));
        Assert.Contains("Created the administrator admin", bootstrap.Stdout, StringComparison.Ordinal);
        Assert.Contains("otpauth://totp/", bootstrap.Stdout, StringComparison.Ordinal);
        var adminEnrolment = TotpEnrolment.Parse(bootstrap.Stdout);
        Assert.NotEmpty(adminEnrolment.RecoveryCodes);
        Assert.DoesNotContain(AdminPassword, bootstrap.Output, StringComparison.Ordinal);

        Assert.False(File.Exists(tokenFile), "the server deletes the used bootstrap token");
        var again = await admin.RunAsync(AdminPassword + "\n", bootstrapArgs);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("probably bootstrapped already", again.Stderr, StringComparison.Ordinal);
        var replayed = await admin.RunAsync(AdminPassword + "\n", ["admin", "bootstrap", .. connect, "--token-file", tokenCopy, "--user", "root", "--password-stdin"]);
        Assert.True(replayed.ExitCode == 1, replayed.ToString());
        Assert.StartsWith("custos admin bootstrap: ", replayed.Stderr, StringComparison.Ordinal);

        // Login, then status in text and JSON; the token stays in its 0600 file and is never printed.
        var login = Ok(await admin.RunAsync(AdminPassword + "\n", ["login", .. connect, "--user", "admin", "--password-stdin", "--otp", adminEnrolment.CodeNow()]));
        Assert.Contains("as admin", login.Stdout, StringComparison.Ordinal);
        var adminToken = admin.Token();
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(admin.Root));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(admin.ProfileFile));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(admin.TokenFile));
        Assert.DoesNotContain(adminToken, File.ReadAllText(admin.ProfileFile), StringComparison.Ordinal);

        var status = Ok(await admin.RunAsync("", ["status"]));
        Assert.Matches(@"(?m)^user:\s+admin$", status.Stdout);
        Assert.Matches(@"(?m)^roles:\s+admin$", status.Stdout);
        Assert.Matches(@"(?m)^expires:\s+\S+", status.Stdout);
        var statusJson = Ok(await admin.RunAsync("", ["status", "-o", "json"]));
        var who = statusJson.Json;
        Assert.Equal("admin", who.GetProperty("user").GetProperty("name").GetString());
        Assert.Contains("admin", who.GetProperty("user").GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(DateTimeOffset.Parse(who.GetProperty("session").GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);
        Assert.DoesNotContain(adminToken, status.Output + statusJson.Output, StringComparison.Ordinal);

        // A user: invitation to a file, accepted in alice's own home, then her login.
        var invitationFile = _root.Combine("alice.invitation");
        var added = Ok(await admin.RunAsync("", ["admin", "users", "add", "alice", "--trait", "team=payments", "--roles", "user", "--out", invitationFile]));
        Assert.Contains($"--token-file {invitationFile}", added.Stdout, StringComparison.Ordinal);
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(invitationFile));
        Assert.DoesNotContain(File.ReadAllText(invitationFile).Trim(), added.Output, StringComparison.Ordinal);

        var alice = new CliHome(_root.Combine("alice-home"));
        var accepted = Ok(await alice.RunAsync(AlicePassword + "\n", ["invite", "accept", .. connect, "--token-file", invitationFile, "--password-stdin"]));
        Assert.Contains("Invitation accepted for alice", accepted.Stdout, StringComparison.Ordinal);
        var aliceEnrolment = TotpEnrolment.Parse(accepted.Stdout);
        Ok(await alice.RunAsync(AlicePassword + "\n", ["login", .. connect, "--user", "alice", "--password-stdin", "--otp", aliceEnrolment.CodeNow()]));

        var users = Ok(await admin.RunAsync("", ["admin", "users", "ls", "-o", "json"])).Json.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal(["admin", "alice"], users.Select(u => u.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        var aliceJson = users.Single(u => u.GetProperty("name").GetString() == "alice");
        Assert.Equal("payments", aliceJson.GetProperty("traits").GetProperty("team")[0].GetString());
        Assert.Equal("user", aliceJson.GetProperty("roles")[0].GetString());

        var forbidden = await alice.RunAsync("", ["admin", "users", "ls"]);
        Assert.True(forbidden.ExitCode == 1, forbidden.ToString());
        Assert.Contains("custos admin users ls: users.read is not allowed", forbidden.Stderr, StringComparison.Ordinal);

        // Sessions: the administrator revokes alice's; her next command says so.
        var sessions = Ok(await admin.RunAsync("", ["admin", "sessions", "ls", "--user", "alice", "-o", "json"])).Json.GetProperty("sessions");
        var aliceSession = Assert.Single(sessions.EnumerateArray()).GetProperty("id").GetString()!;
        Assert.Contains(aliceSession, Ok(await admin.RunAsync("", ["admin", "sessions", "ls"])).Stdout, StringComparison.Ordinal);
        Assert.Contains($"Session {aliceSession} revoked.", Ok(await admin.RunAsync("", ["admin", "sessions", "revoke", aliceSession])).Stdout, StringComparison.Ordinal);
        var revoked = await alice.RunAsync("", ["status"]);
        Assert.True(revoked.ExitCode == 1, revoked.ToString());
        Assert.Contains("your session has expired or was revoked; run custos login", revoked.Stderr, StringComparison.Ordinal);

        // A bot joins with its one-time token and renews into generation 2; every file is owner-only.
        var joinFile = _root.Combine("ci.join");
        Ok(await admin.RunAsync("", ["admin", "bots", "add", "ci", "--roles", "user", "--out", joinFile]));
        var botHome = new CliHome(_root.Combine("bot-home"));
        var botDir = _root.Combine("ci-credentials");
        var joined = Ok(await botHome.RunAsync("", ["bot", "join", .. connect, "--token-file", joinFile, "--out", botDir]));
        Assert.Contains("generation 1", joined.Stdout, StringComparison.Ordinal);
        var renewed = Ok(await botHome.RunAsync("", ["bot", "renew", "--out", botDir]));
        Assert.Contains("generation 2", renewed.Stdout, StringComparison.Ordinal);
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(botDir));
        foreach (var file in new[] { "bot.json", "token", "credential" })
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(botDir, file)));
        using (var botState = JsonDocument.Parse(File.ReadAllText(Path.Combine(botDir, "bot.json"))))
            Assert.Equal(2, botState.RootElement.GetProperty("generation").GetInt64());
        var botToken = File.ReadAllText(Path.Combine(botDir, "token")).Trim();
        Assert.DoesNotContain(botToken, joined.Output + renewed.Output, StringComparison.Ordinal);

        // Offline recovery refuses unknown names and machines, and a suspended account unless told to resume it.
        var unknown = await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "nobody"]);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("custos admin recover: there is no user named nobody", unknown.Stderr, StringComparison.Ordinal);
        var machine = await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "CI"]);
        Assert.True(machine.ExitCode == 1, machine.ToString());
        Assert.Contains("ci is a bot, not a user", machine.Stderr, StringComparison.Ordinal);
        Ok(await admin.RunAsync("", ["admin", "users", "suspend", "alice"]));
        var aliceRecovery = _root.Combine("alice.recovery");
        var suspended = await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "alice", "--out", aliceRecovery]);
        Assert.True(suspended.ExitCode == 1, suspended.ToString());
        Assert.Contains("--resume", suspended.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(aliceRecovery));
        var resumed = Ok(await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "alice", "--out", aliceRecovery, "--ttl", "2h", "--resume"]));
        Assert.Contains("alice is active again.", resumed.Stdout, StringComparison.Ordinal);
        Assert.Equal("active", Ok(await admin.RunAsync("", ["admin", "users", "show", "alice", "-o", "json"])).Json.GetProperty("status").GetString());

        // Offline recovery while the server runs: the token file, the exact accept command, and no overwrite.
        var recovered = Ok(await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "admin", "--server", server.BaseUrl]));
        var recoveryFile = Path.Combine(dataDir, "recovery.token");
        Assert.Contains($"custos invite accept --server {server.BaseUrl} --ca-file {Path.Combine(dataDir, "tls", "server.crt")} --token-file {recoveryFile} --password-stdin",
            recovered.Stdout, StringComparison.Ordinal);
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(recoveryFile));
        var recoveryToken = File.ReadAllText(recoveryFile).Trim();
        Assert.DoesNotContain(recoveryToken, recovered.Output, StringComparison.Ordinal);
        var overwrite = await admin.RunAsync("", ["admin", "recover", "--data-dir", dataDir, "--user", "admin"]);
        Assert.True(overwrite.ExitCode == 1, overwrite.ToString());
        Assert.Contains("--force", overwrite.Stderr, StringComparison.Ordinal);
        Assert.Equal(recoveryToken, File.ReadAllText(recoveryFile).Trim());

        var recoveryAccepted = Ok(await admin.RunAsync(NewAdminPassword + "\n", ["invite", "accept", .. connect, "--token-file", recoveryFile, "--password-stdin"]));
        var newEnrolment = TotpEnrolment.Parse(recoveryAccepted.Stdout);
        Assert.NotEqual(adminEnrolment.Secret, newEnrolment.Secret);
        var endedByRecovery = await admin.RunAsync("", ["status"]);
        Assert.True(endedByRecovery.ExitCode == 1, endedByRecovery.ToString());
        Assert.Contains("expired or was revoked", endedByRecovery.Stderr, StringComparison.Ordinal);
        Ok(await admin.RunAsync(NewAdminPassword + "\n", ["login", .. connect, "--user", "admin", "--password-stdin", "--otp", newEnrolment.CodeNow()]));
        Assert.Matches(@"(?m)^user:\s+admin$", Ok(await admin.RunAsync("", ["status"])).Stdout);

        // Logout ends the session and deletes the token; status then refuses.
        Assert.Contains("Logged out.", Ok(await admin.RunAsync("", ["logout"])).Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(admin.TokenFile));
        var loggedOut = await admin.RunAsync("", ["status"]);
        Assert.True(loggedOut.ExitCode == 1, loggedOut.ToString());
        Assert.Contains("not logged in; run custos login", loggedOut.Stderr, StringComparison.Ordinal);

        var audit = await CustosCli.RunAsync(["audit", "export", "--data-dir", dataDir, "--format", "jsonl", "--type", "user.recover"]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        Assert.Contains("custos admin recover (", audit.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(recoveryToken, audit.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_without_ca_file_or_terminal_refuses_with_the_fingerprint_and_works_when_it_is_pinned()
    {
        var dataDir = _root.Combine("data");
        await using var server = await ServerProcess.StartReadyAsync(dataDir);
        var admin = new CliHome(_root.Combine("admin-home"));
        var bootstrap = Ok(await admin.RunAsync(AdminPassword + "\n",
            ["admin", "bootstrap", "--server", server.BaseUrl, "--ca-file", server.CertificateFile, "--token-file", Path.Combine(dataDir, "bootstrap.token"), "--user", "admin", "--password-stdin"]));
        var enrolment = TotpEnrolment.Parse(bootstrap.Stdout);
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(server.CertificateFile);
        var fingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(certificate.RawData)).TrimEnd('=');

        var laptop = new CliHome(_root.Combine("laptop-home"));
        var refused = await laptop.RunAsync(AdminPassword + "\n", ["login", "--server", server.BaseUrl, "--user", "admin", "--password-stdin", "--otp", "000000"]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains($"custos login: cannot connect to {server.BaseUrl} securely", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains($"--fingerprint {fingerprint}", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(laptop.TokenFile));

        Ok(await laptop.RunAsync(AdminPassword + "\n", ["login", "--server", server.BaseUrl, "--fingerprint", fingerprint, "--user", "admin", "--password-stdin", "--otp", enrolment.CodeNow()]));
        using (var profile = JsonDocument.Parse(File.ReadAllText(laptop.ProfileFile)))
            Assert.Equal(fingerprint, profile.RootElement.GetProperty("fingerprint").GetString());
        // The pin is remembered with the server: later commands need no flags.
        Assert.Matches(@"(?m)^user:\s+admin$", Ok(await laptop.RunAsync("", ["status"])).Stdout);
    }

    private static CliResult Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
