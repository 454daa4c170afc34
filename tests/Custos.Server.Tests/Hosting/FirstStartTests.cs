using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Hosting;

/// <summary>What the first <c>custos serve</c> on an empty data directory leaves on disk and shows on the terminal.</summary>
[Collection(RunningSqliteServerDefinition.Name)]
public sealed class FirstStartTests(RunningSqliteServer fixture)
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void First_start_creates_the_data_directory_and_tls_directory_for_the_owner_only()
    {
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(fixture.DataDir));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(fixture.DataDir, "tls")));
    }

    [Theory]
    [InlineData("custos.db")]
    [InlineData("master.key")]
    [InlineData("tls/server.key")]
    public void First_start_creates_each_secret_file_readable_by_the_owner_only(string file)
    {
        var path = Path.Combine(fixture.DataDir, file);
        Assert.True(File.Exists(path), $"{file} was not created");
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_bootstrap_token_file_is_readable_by_the_owner_only_and_removed_once_used()
    {
        Assert.Equal(OwnerOnlyFile, fixture.BootstrapTokenFileMode);
        Assert.False(File.Exists(Path.Combine(fixture.DataDir, "bootstrap.token")));
    }

    [Fact]
    public void Sqlite_journal_files_are_as_private_as_the_database()
    {
        // The WAL holds the newest audit events and sealed secrets until it is checkpointed into custos.db.
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            var path = Path.Combine(fixture.DataDir, "custos.db" + suffix);
            if (File.Exists(path)) Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void First_start_creates_a_certificate_that_clients_can_pin()
    {
        var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(
            Path.Combine(fixture.DataDir, "tls", "server.crt"));
        Assert.False(certificate.HasPrivateKey);
        var sans = certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", sans.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Loopback, sans.EnumerateIPAddresses());
        Assert.Contains(System.Net.IPAddress.IPv6Loopback, sans.EnumerateIPAddresses());
    }

    [Fact]
    public void Master_key_file_holds_32_bytes_of_base64()
    {
        var text = File.ReadAllText(Path.Combine(fixture.DataDir, "master.key")).Trim();
        Assert.Equal(32, Convert.FromBase64String(text).Length);
    }

    [Fact]
    public void Bootstrap_token_appears_in_no_terminal_line()
    {
        var token = fixture.FirstBootstrapToken;
        Assert.Matches("^cbt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$", token);
        // The secret part is base64url, which may itself contain '_'.
        var secret = token.Split('_', 3)[2];
        Assert.DoesNotContain(secret, fixture.Server.Process.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, fixture.Server.Process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_token_is_not_recorded_in_the_audit_log()
    {
        var secret = fixture.FirstBootstrapToken.Split('_', 3)[2];
        var events = await fixture.Client.GetStringAsync("/v1/audit/events?limit=1000", TestContext.Current.CancellationToken);
        Assert.Contains("bootstrap.token.issue", events, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, events, StringComparison.Ordinal);
    }

    [Fact]
    public void Terminal_shows_the_token_file_path_and_the_next_command()
    {
        var stdout = fixture.Server.Process.Stdout;
        var tokenFile = Path.Combine(fixture.DataDir, "bootstrap.token");
        var certificate = Path.Combine(fixture.DataDir, "tls", "server.crt");
        var commandLine = stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("custos admin bootstrap", StringComparison.Ordinal));
        Assert.NotNull(commandLine);
        Assert.Contains($"--token-file {tokenFile}", commandLine, StringComparison.Ordinal);
        Assert.Contains($"--ca-file {certificate}", commandLine, StringComparison.Ordinal);
        Assert.Contains($"--server {fixture.Server.BaseUrl}", commandLine, StringComparison.Ordinal);
        Assert.Contains(stdout.Split('\n'), l => l.Trim() == tokenFile);
    }

    [Fact]
    public void Offline_admin_commands_do_not_print_the_token_they_issue()
    {
        var current = fixture.LatestBootstrapToken;
        Assert.NotEqual(fixture.FirstBootstrapToken, current);
        var secret = current.Split('_', 3)[2];
        Assert.All(fixture.AdminRuns, run => Assert.DoesNotContain(secret, run.Output, StringComparison.Ordinal));
        Assert.All(fixture.AdminRuns, run => Assert.Contains(Path.Combine(fixture.DataDir, "bootstrap.token"), run.Stdout, StringComparison.Ordinal));
    }
}
