using System.CommandLine;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary><c>custos admin sessions ls|revoke</c>.</summary>
public static class SessionAdminCommands
{
    public static Command Create() => new("sessions", "List and revoke sessions (needs an administrator session).") { List(), Revoke() };

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var user = new Option<string?>("--user") { Description = "Only this identity's sessions." };
        var output = CommonOptions.Output();
        var command = new Command("ls", "List sessions.") { user, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin sessions ls", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var path = context.Get(user) is { } u ? "v1/sessions?user=" + Uri.EscapeDataString(u) : "v1/sessions";
            var (list, json) = await client.SendForJsonAsync<SessionListResponse>(HttpMethod.Get, path, null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["ID", "USER", "KIND", "CREATED", "EXPIRES", "MFA AT", "SOURCE", "STATE"],
                list.Sessions.Select(s => (IReadOnlyList<string>)[s.Id + (s.Current ? " *" : ""), s.User, s.Kind, s.CreatedAt, s.ExpiresAt,
                    s.MfaAt ?? "-", s.SourceIp ?? "-", s.RevokedAt is null ? "active" : $"revoked {s.RevokedAt}" + (s.RevokedReason is null ? "" : $" ({s.RevokedReason})")]).ToList());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke()
    {
        var connection = new ConnectionOptions();
        var id = new Argument<string>("ID") { Description = "The session id (custos admin sessions ls)." };
        var command = new Command("revoke", "Revoke a session at once.") { id };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin sessions revoke", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var target = context.Get(id)!;
            await client.SendAsync(HttpMethod.Delete, "v1/sessions/" + Uri.EscapeDataString(target), null, cancellationToken);
            await context.Out.WriteLineAsync($"Session {target} revoked.");
            return ExitCodes.Success;
        });
        return command;
    }
}
