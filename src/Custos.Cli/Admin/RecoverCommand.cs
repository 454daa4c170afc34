using Custos.Core;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Server.Configuration;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Custos.Cli.Admin;

/// <summary>
/// <c>custos admin recover --data-dir DIR --user NAME</c>: the way back in when the last administrator lost their
/// password or authenticator. It works offline, so it needs what only the host's operator has (the data directory
/// and its master key), and it changes nothing by itself beyond lifting lockouts (and, with --resume, a suspension):
/// it issues a one-time recovery invitation, and the user sets a new password and enrols MFA again by accepting it
/// through the server. It is safe to run while the server is running (SQLite and PostgreSQL both allow a second
/// writer, and the audit chain extends whatever head is stored).
/// </summary>
public static class RecoverCommand
{
    public const string DefaultServer = "https://127.0.0.1:3080";
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinTtl = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);
    private const string Name = "custos admin recover";

    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory (its master key opens the database).", Required = true };
        var database = new Option<string?>("--database") { Description = "Database URL when it is not DIR/custos.db." };
        var user = new Option<string>("--user") { Description = "The user (a person, not a bot or agent) to recover.", Required = true };
        var ttl = CommonOptions.Duration("--ttl", "How long the recovery invitation is valid: 5m to 24h (default 1h).");
        var outFile = new Option<string?>("--out") { Description = "Write the recovery token to this file (created 0600; default DIR/recovery.token)." };
        var force = new Option<bool>("--force") { Description = "Replace the --out file if it exists." };
        var resume = new Option<bool>("--resume") { Description = "Also resume the account if it is suspended or disabled (otherwise such an account is refused)." };
        var server = new Option<string?>("--server") { Description = $"The server URL to show in the accept command (default {DefaultServer})." };
        server.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && ConnectionOptions.ParseServerUrl(text, out var error) is null) result.AddError("--server: " + error);
        });
        ttl.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && ParseTtl(text) is { } value && (value < MinTtl || value > MaxTtl))
                result.AddError($"--ttl: {text} is outside 5m to 24h");
        });
        var command = new Command("recover",
            "Issue a one-time recovery invitation for a user who lost their password or MFA (offline; needs the data directory). " +
            "Clears the user's lockouts; accepting it sets a new password and enrols MFA again.")
        {
            dataDir, database, user, ttl, outFile, force, resume, server,
        };
        CommandContext.Bind(command, Name, async (context, cancellationToken) =>
        {
            var dir = new DataDirectory(context.Get(dataDir)!);
            var request = new Request(
                context.Get(user)!,
                context.Get(ttl) is { } t ? ParseTtl(t)!.Value : DefaultTtl,
                Path.GetFullPath(context.Get(outFile) ?? Path.Combine(dir.Root, "recovery.token")),
                context.Get(force),
                context.Get(resume),
                context.Get(server) is { } s ? ConnectionSettings.Display(ConnectionOptions.ParseServerUrl(s, out _)!) : DefaultServer);
            try
            {
                return await RunAsync(context, dir, context.Get(database), request, cancellationToken);
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Configuration)
            {
                throw CliException.Usage(e.Message);
            }
            catch (Exception e) when (e is StorageException or InvalidOperationException or AuditLogUnavailableException)
            {
                throw new CliException(ExitCodes.Failure, e.Message, e);
            }
        });
        return command;
    }

    private sealed record Request(string User, TimeSpan Ttl, string OutFile, bool Force, bool Resume, string Server);

    private static async Task<int> RunAsync(CommandContext context, DataDirectory dir, string? database, Request request, CancellationToken cancellationToken)
    {
        if (!IdentityName.TryNormalize(request.User, out var name, out var nameKey, out var nameError))
            throw CliException.Usage($"--user: {nameError}");
        // Checked before anything changes, so a refusal leaves the installation as it was.
        if (File.Exists(request.OutFile) && !request.Force)
            throw new CliException(ExitCodes.Failure, $"{request.OutFile} exists (an earlier recovery token?); remove it, pass --force to replace it, or choose another --out");
        if (!Directory.Exists(Path.GetDirectoryName(request.OutFile)))
            throw CliException.Usage($"--out: the directory of {request.OutFile} does not exist");

        using var masterKey = dir.LoadMasterKey(create: false, Environment.GetEnvironmentVariable(DataDirectory.MasterKeyEnvironmentVariable));
        await using var store = OfflineInstallation.Open(dir.Root, database, readOnly: false);
        await store.MigrateAsync(cancellationToken);

        var identity = await store.GetIdentityByNameAsync(nameKey, cancellationToken)
            ?? throw new CliException(ExitCodes.Failure, $"there is no user named {name} (list them with custos admin users ls, or in the audit log)");
        if (!identity.Kind.IsHuman())
            throw new CliException(ExitCodes.Failure, $"{identity.Name} is a {identity.Kind.ToName()}, not a user: bots and agents have no password or MFA; issue a new join token instead");
        if (identity.Status != IdentityStatus.Active && !request.Resume)
            throw new CliException(ExitCodes.Failure,
                $"{identity.Name} is {identity.Status.ToName()}, and a recovery invitation for an inactive account cannot be accepted; pass --resume to resume it as part of the recovery");

        var (key, _) = await Installation.LoadOrCreateAuditKeyAsync(store, masterKey, cancellationToken);
        using (key)
        {
            var audit = new AuditLog(store, key, TimeProvider.System, new AuditLogOptions(), NullLogger<AuditLog>.Instance);
            await using (audit)
            {
                await audit.StartAsync(cancellationToken);
                var actor = new AuditActor("system", "custos-cli", $"{Name} ({Environment.UserName})");
                var target = "user/" + identity.Name;
                var now = Now();

                var resumed = false;
                if (identity.Status != IdentityStatus.Active)
                {
                    var result = await store.UpdateIdentityAsync(identity with { Status = IdentityStatus.Active }, identity.Revision, now, cancellationToken);
                    if (result != IdentityUpdateResult.Updated)
                        throw new CliException(ExitCodes.Failure, $"{identity.Name} could not be resumed ({result}: it changed meanwhile); run the command again");
                    resumed = true;
                    await audit.AppendAsync(new AuditEntry("user.resume", actor, AuditOutcome.Success, target, Reason: "recovery",
                        Details: new JsonObject { ["from"] = identity.Status.ToName() }), cancellationToken);
                }

                var cleared = await new LoginThrottle(store, TimeProvider.System, new LockoutOptions()).ClearUserAsync(identity.NameKey, cancellationToken);
                var (token, invitation) = Invitations.New(identity.Id, InvitationPurpose.Recovery, request.Ttl, actor.Name, now);
                await store.CreateInvitationAsync(invitation, cancellationToken);
                var expires = AuditChain.FormatTime(invitation.ExpiresAt);
                await audit.AppendAsync(new AuditEntry("user.recover", actor, AuditOutcome.Success, target, Details: new JsonObject
                {
                    ["invitation_id"] = invitation.Id,
                    ["expires_at"] = expires,
                    ["lockouts_cleared"] = cleared,
                    ["resumed"] = resumed,
                    ["file"] = request.OutFile,
                }), cancellationToken);

                // The token reaches the disk only after its issuance is durable in the audit log.
                WriteToken(request.OutFile, token, request.Force);
                await PrintAsync(context.Out, dir, identity.Name, expires, cleared, resumed, request);
            }
        }
        return ExitCodes.Success;
    }

    private static async Task PrintAsync(TextWriter output, DataDirectory dir, string user, string expires, int cleared, bool resumed, Request request)
    {
        await output.WriteLineAsync($"A one-time recovery token for {user} (valid until {expires}) is in {request.OutFile}.");
        if (resumed) await output.WriteLineAsync($"{user} is active again.");
        await output.WriteLineAsync(cleared == 0 ? "There were no lockouts to clear." : $"Cleared {cleared.ToString(CultureInfo.InvariantCulture)} lockout record(s).");
        await output.WriteLineAsync($"Give the file to {user} over a trusted channel; they set a new password and enrol MFA again with:");
        var trust = File.Exists(dir.TlsCertificateFile) ? $" --ca-file {dir.TlsCertificateFile}" : "";
        await output.WriteLineAsync($"  custos invite accept --server {request.Server}{trust} --token-file {request.OutFile} --password-stdin");
        await output.WriteLineAsync("Accepting it ends their sessions; their old password, authenticator and recovery codes stop working.");
    }

    /// <summary>Writes the token 0600 under a temporary name, then renames it into place (refusing an existing file unless forced).</summary>
    private static void WriteToken(string path, string token, bool force)
    {
        var temp = SecureFiles.TempPathFor(path);
        try
        {
            SecureFiles.WriteNew(temp, System.Text.Encoding.UTF8.GetBytes(token + "\n"));
            File.Move(temp, path, overwrite: force);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SecureFiles.TryDelete(temp);
            throw new CliException(ExitCodes.IoError,
                $"the recovery invitation was issued (and audited) but {path} could not be written ({e.Message}); run the command again: the new invitation replaces it", e);
        }
    }

    /// <summary>A duration as <see cref="CommonOptions.Duration"/> accepts it (90m, 24h, 1d); null when malformed.</summary>
    public static TimeSpan? ParseTtl(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
    }

    // Stored times have microsecond precision: truncate so what is audited reads back equal.
    private static DateTimeOffset Now() => TimeProvider.System.GetUtcNowMicroseconds();
}
