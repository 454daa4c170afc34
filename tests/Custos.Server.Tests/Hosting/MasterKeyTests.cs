using System.Security.Cryptography;
using Custos.Server.Tests.Fixtures;
using Custos.Storage;

namespace Custos.Server.Tests.Hosting;

/// <summary>A master key that does not open the database's sealed audit signing key stops the server; the key is never replaced.</summary>
[Collection(StoppedInstallationsDefinition.Name)]
public sealed class MasterKeyTests(StoppedInstallations installations)
{
    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Another_master_key_is_refused_and_the_audit_key_is_kept(DatabaseEngine engine)
    {
        var installation = await installations.CopyAsync(engine);
        var publicKey = await installation.Database.AuditPublicKeyAsync();
        var events = await installation.Database.EventsAsync();
        string[] args = ["serve", "--data-dir", installation.DataDir, "--listen", $"127.0.0.1:{Custos.Testing.FreePort.Next()}"];
        if (engine == DatabaseEngine.Postgres) args = [.. args, "--database", installation.Database.Url];

        var result = await CustosCli.RunAsync(args, new Dictionary<string, string?> { ["CUSTOS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("master key does not open", result.Output, StringComparison.Ordinal);
        Assert.Equal(publicKey, await installation.Database.AuditPublicKeyAsync());
        Assert.Equal(events.Select(e => e.Head), (await installation.Database.EventsAsync()).Select(e => e.Head));
    }
}
