using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Certificates;

/// <summary>
/// <c>custos admin ca revoke</c> and <c>custos admin ca revocations</c>: the user CA's key revocation list (KRL) that
/// nodes pick up with <c>custos node sync</c>.
/// </summary>
public static class RevocationCommands
{
    public static Command Revoke()
    {
        var connection = new ConnectionOptions();
        var serial = new Option<string?>("--serial") { Description = "Revoke one certificate by its serial (decimal, as ssh-keygen -L shows it)." };
        var publicKey = new Option<string?>("--public-key") { Description = "Revoke a key and every certificate of it: a public key file (id_ed25519.pub)." };
        var user = new Option<string?>("--user") { Description = "Revoke every certificate a user, bot or agent may still hold." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the revocation and the audit log)." };
        var output = CommonOptions.Output();
        var command = new Command("revoke", "Revoke SSH user certificates: one (--serial), a key (--public-key) or an identity's (--user); nodes refuse them after their next sync.")
        {
            serial, publicKey, user, reason, output,
        };
        connection.AddTo(command);
        command.Validators.Add(result =>
        {
            var given = new[] { serial, publicKey, user }.Count(o => result.GetValue(o) is not null);
            if (given != 1) result.AddError("give exactly one of --serial, --public-key or --user");
        });
        CommandContext.Bind(command, "custos admin ca revoke", async (context, cancellationToken) =>
        {
            string? keyLine = null;
            if (context.Get(publicKey) is { } file)
            {
                if (!File.Exists(file)) throw CliException.Usage($"--public-key: {file} does not exist");
                keyLine = (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
            }
            using var client = context.OpenSession(connection);
            var request = new SshRevocationRequest(context.Get(serial), keyLine, context.Get(user), context.Get(reason));
            var (answer, json) = await client.SendForJsonAsync<SshRevocationResponse>(HttpMethod.Post, "v1/ca/ssh/revocations", request, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            await context.Out.WriteLineAsync(answer.Added == 0
                ? "Already revoked: nothing changed."
                : $"Revoked {answer.Added} {(answer.Added == 1 ? "entry" : "entries")}; nodes refuse them after their next custos node sync.");
            WriteTable(context.Out, answer.Entries);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command List()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("revocations", "List the user CA's revocations still in force (the KRL's content).") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin ca revocations", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (list, json) = await client.SendForJsonAsync<SshRevocationListResponse>(HttpMethod.Get, "v1/ca/ssh/revocations", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            WriteTable(context.Out, list.Revocations);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<SshRevocationDto> entries) =>
        Formats.WriteTable(output, ["KIND", "VALUE", "REASON", "REVOKED BY", "REVOKED AT", "EXPIRES"],
            [.. entries.Select(e => (IReadOnlyList<string>)[e.Kind, e.Value, e.Reason, e.RevokedBy, e.RevokedAt, e.ExpiresAt ?? "never"])]);
}
