using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;
using Custos.Storage;

namespace Custos.Server.Tests.Bootstrap;

/// <summary><c>custos admin bootstrap-token</c>: offline, replaces the earlier unused token, audited, never printed.</summary>
[Collection(StoppedInstallationsDefinition.Name)]
public sealed class BootstrapTokenTests(StoppedInstallations installations)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(string Id, byte[] Hash, long? UsedAt)>> TokensAsync(AuditDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, token_hash, used_at_us FROM bootstrap_tokens";
        await using var r = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, byte[], long?)>();
        while (await r.ReadAsync(Ct)) rows.Add((r.GetString(0), (byte[])r.GetValue(1), r.IsDBNull(2) ? null : r.GetInt64(2)));
        return rows;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Fresh_token_replaces_the_earlier_one_and_is_audited(DatabaseEngine engine)
    {
        var installation = await installations.CopyAsync(engine);
        var tokenFile = Path.Combine(installation.DataDir, "bootstrap.token");
        var earlier = (await File.ReadAllTextAsync(tokenFile, Ct)).Trim();
        Assert.Equal(Hash(earlier), Assert.Single(await TokensAsync(installation.Database)).Hash);
        var before = await installation.Database.EventsAsync();

        string[] args = ["admin", "bootstrap-token", "--data-dir", installation.DataDir];
        if (engine == DatabaseEngine.Postgres) args = [.. args, "--database", installation.Database.Url];
        var result = await CustosCli.RunAsync(args);

        Assert.True(result.ExitCode == 0, result.ToString());
        var fresh = (await File.ReadAllTextAsync(tokenFile, Ct)).Trim();
        Assert.NotEqual(earlier, fresh);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        Assert.DoesNotContain(fresh.Split('_', 3)[2], result.Output, StringComparison.Ordinal);
        Assert.Contains(tokenFile, result.Stdout, StringComparison.Ordinal);

        // Only the fresh token is valid: one unused row, holding the fresh token's hash.
        var row = Assert.Single(await TokensAsync(installation.Database));
        Assert.Null(row.UsedAt);
        Assert.Equal(Hash(fresh), row.Hash);
        Assert.Equal(fresh.Split('_')[1], row.Id);

        var after = await installation.Database.EventsAsync();
        var issued = Assert.Single(after.Skip(before.Count));
        Assert.Equal("bootstrap.token.issue", issued.Type);
        Assert.Equal("custos-cli", issued.ActorId);
        Assert.Equal("bootstrap-token/" + row.Id, issued.Target);
        Assert.DoesNotContain(fresh.Split('_', 3)[2], issued.Details, StringComparison.Ordinal);
        Assert.Equal(tokenFile, JsonDocument.Parse(issued.Details).RootElement.GetProperty("file").GetString());

        var verify = await CustosCli.VerifyAsync(installation.Database, "--expect-head", before[^1].Head);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Bootstrap_token_without_the_master_key_fails_and_changes_nothing()
    {
        var installation = await installations.CopyAsync(DatabaseEngine.Sqlite);
        File.Delete(Path.Combine(installation.DataDir, "master.key"));
        var before = await installation.Database.EventsAsync();

        var result = await CustosCli.RunAsync("admin", "bootstrap-token", "--data-dir", installation.DataDir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("master", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before.Count, (await installation.Database.EventsAsync()).Count);
    }

    [Fact]
    public async Task Bootstrap_token_with_another_master_key_fails_and_changes_nothing()
    {
        var installation = await installations.CopyAsync(DatabaseEngine.Sqlite);
        var before = await installation.Database.EventsAsync();
        var tokens = await TokensAsync(installation.Database);

        var result = await CustosCli.RunAsync(["admin", "bootstrap-token", "--data-dir", installation.DataDir],
            new Dictionary<string, string?> { ["CUSTOS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("master key", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before.Count, (await installation.Database.EventsAsync()).Count);
        Assert.Equal(tokens.Select(t => t.Id), (await TokensAsync(installation.Database)).Select(t => t.Id));
    }
}
