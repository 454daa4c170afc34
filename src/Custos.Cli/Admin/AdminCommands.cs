using System.CommandLine;
using Custos.Cli.Certificates;
using Custos.Cli.Identity;
using Custos.Cli.Policy;
using Custos.Core.Audit;
using Custos.Server.Hosting;
using Custos.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Custos.Cli.Admin;

/// <summary>
/// <c>custos admin ...</c>. Offline commands (bootstrap-token, recover) need access to the data directory and its master key;
/// the others talk to the server's API (bootstrap with the one-time token, the rest with an administrator session).
/// </summary>
public static class AdminCommands
{
    public static Command Create() => new("admin", "Administer a Custos installation.")
    {
        BootstrapTokenCommand(),
        EnrollmentCommands.Bootstrap(),
        RecoverCommand.Create(),
        UserAdminCommands.Create(),
        SessionAdminCommands.Create(),
        BotAdminCommands.Create(),
        ResourceCommands.Create(),
        RoleCommands.Create(),
        RoleMappingCommands.Create(),
        CaCommands.Create(),
    };

    private static Command BootstrapTokenCommand()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory.", Required = true };
        var database = new Option<string?>("--database") { Description = "Database URL when it is not DIR/custos.db." };
        var command = new Command("bootstrap-token",
            "Issue a fresh one-time bootstrap token into DIR/bootstrap.token (offline; only while no administrator exists). Earlier unused tokens stop working.")
        {
            dataDir, database,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = new DataDirectory(parse.GetValue(dataDir)!);
            try
            {
                using var masterKey = dir.LoadMasterKey(create: false, Environment.GetEnvironmentVariable(DataDirectory.MasterKeyEnvironmentVariable));
                await using var store = OfflineInstallation.Open(dir.Root, parse.GetValue(database), readOnly: false);
                await store.MigrateAsync(cancellationToken);
                if (await Installation.IsBootstrappedAsync(store, cancellationToken))
                {
                    await Console.Error.WriteLineAsync("custos admin bootstrap-token: an administrator already exists; use custos admin recover instead");
                    return ExitCodes.Failure;
                }
                var (key, _) = await Installation.LoadOrCreateAuditKeyAsync(store, masterKey, cancellationToken);
                using (key)
                {
                    var audit = new AuditLog(store, key, TimeProvider.System, new AuditLogOptions(), NullLogger<AuditLog>.Instance);
                    await using (audit)
                    {
                        await audit.StartAsync(cancellationToken);
                        var actor = new AuditActor("system", "custos-cli", "custos admin bootstrap-token (" + Environment.UserName + ")");
                        var record = await Installation.IssueBootstrapTokenAsync(store, audit, dir, TimeProvider.System, BootstrapTokenLifetime, actor, cancellationToken);
                        Console.Out.WriteLine($"A one-time bootstrap token (valid until {AuditChain.FormatTime(record.ExpiresAt)}) is in {dir.BootstrapTokenFile}");
                    }
                }
                return ExitCodes.Success;
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Configuration)
            {
                await Console.Error.WriteLineAsync("custos admin bootstrap-token: " + e.Message);
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is StorageException or InvalidOperationException or IOException or UnauthorizedAccessException or AuditLogUnavailableException)
            {
                await Console.Error.WriteLineAsync("custos admin bootstrap-token: " + e.Message);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static readonly TimeSpan BootstrapTokenLifetime = TimeSpan.FromHours(1);
}
