using System.Security.Cryptography;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Hosting;

/// <summary>The data directory and the master key must be private; the server refuses to start otherwise.</summary>
public sealed class DataDirectoryTests : IDisposable
{
    private readonly TempDirectory _root = new("custos-datadir");

    public void Dispose() => _root.Dispose();

    private static Task<CliResult> ServeAsync(string dataDir, IDictionary<string, string?>? environment = null) =>
        CustosCli.RunAsync(["serve", "--data-dir", dataDir, "--listen", $"127.0.0.1:{FreePort.Next()}"], environment);

    [Fact]
    public async Task Data_directory_open_to_other_users_is_refused_before_any_key_is_written()
    {
        var dir = _root.Combine("open");
        Directory.CreateDirectory(dir, (UnixFileMode)Convert.ToInt32("755", 8));

        var result = await ServeAsync(dir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("chmod 700", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public async Task Master_key_file_readable_by_others_is_refused()
    {
        var dir = _root.Combine("loose-key");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var keyFile = Path.Combine(dir, "master.key");
        File.WriteAllText(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(keyFile, (UnixFileMode)Convert.ToInt32("644", 8));

        var result = await ServeAsync(dir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(keyFile, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("chmod 600", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "custos.db")), "the database was created although the master key was refused");
    }

    [Fact]
    public async Task Two_first_starts_at_once_on_one_data_directory_agree_on_its_keys()
    {
        // Two servers started together on the same empty directory (twice over, to give a race every chance) must not
        // each write their own master key, TLS pair or database file: the loser's files would replace the winner's,
        // and the audit signing key sealed under the replaced master key would be lost for good.
        string[] dirs = [_root.Combine("twins-1"), _root.Combine("twins-2")];
        var servers = dirs.SelectMany(dir => new[] { ServerProcess.Start(dir), ServerProcess.Start(dir) }).ToList();
        try
        {
            await Task.WhenAll(servers.Select(s => s.WaitReadyAsync()));
            Assert.Equal(new int[servers.Count], await Task.WhenAll(servers.Select(s => s.StopAsync())));
        }
        finally
        {
            foreach (var server in servers) await server.DisposeAsync();
        }

        foreach (var dir in dirs)
        {
            var verify = await CustosCli.RunAsync("audit", "verify", "--data-dir", dir);
            Assert.True(verify.ExitCode == 0, verify.ToString());
            var database = AuditDatabase.Sqlite(Path.Combine(dir, "custos.db"));
            Assert.Single(await database.EventsAsync(), e => e.Type == "audit.key.create");
            Assert.Single(await database.EventsAsync(), e => e.Type == "bootstrap.token.issue");
            var token = (await File.ReadAllTextAsync(Path.Combine(dir, "bootstrap.token"), TestContext.Current.CancellationToken)).Trim();
            Assert.Equal(token.Split('_')[1], await database.ScalarAsync("SELECT id FROM bootstrap_tokens WHERE used_at_us IS NULL"));
            // The key files left on disk are the ones in use: the installation starts again.
            await using var again = await ServerProcess.StartReadyAsync(dir);
            Assert.Equal(0, await again.StopAsync());
        }
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("c2hvcnQ=")]
    public async Task Malformed_master_key_in_the_environment_is_refused_naming_the_variable(string value)
    {
        var dir = _root.Combine("bad-env-key");

        var result = await ServeAsync(dir, new Dictionary<string, string?> { ["CUSTOS_MASTER_KEY"] = value });

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("CUSTOS_MASTER_KEY", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(value, result.Output, StringComparison.Ordinal);
    }
}
