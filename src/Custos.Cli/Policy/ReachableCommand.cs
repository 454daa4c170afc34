using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary>
/// <c>custos ls</c>: what the logged-in identity can reach, in two parts: standing access (usable now, when its
/// conditions hold) and access that needs an approved request.
/// </summary>
public static class ReachableCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("ls", "List what you can reach: resources you may use now, then those that need an approved request.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos ls", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (answer, json) = await client.SendForJsonAsync<WhatCanResponse>(HttpMethod.Get, "v1/access/what-can", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else Write(context.Out, answer);
            return ExitCodes.Success;
        });
        return command;
    }

    public static void Write(TextWriter output, WhatCanResponse answer)
    {
        var standing = answer.Resources.Where(r => r.Mode == PolicyFormats.Standing).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var byRequest = answer.Resources.Where(r => r.Mode != PolicyFormats.Standing).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        if (standing.Count == 0 && byRequest.Count == 0 && answer.StandingAdminActions.Count == 0 && answer.RequestableAdminActions.Count == 0)
        {
            output.WriteLine($"Nothing is reachable for {answer.User}, now or by request.");
            return;
        }
        if (standing.Count == 0)
        {
            output.WriteLine("Reachable now: nothing.");
        }
        else
        {
            output.WriteLine("Reachable now (standing access; the conditions are checked when you connect):");
            Formats.WriteTable(output, ["NAME", "KIND", "ACTIONS", "LOGINS", "ROLES", "CONDITIONS"],
                standing.Select(r => (IReadOnlyList<string>)[r.Name, r.Kind, Formats.List(r.Actions), PolicyFormats.Targets(r), Formats.List(r.Roles),
                    PolicyFormats.Conditions(r.Conditions)]).ToList());
        }
        if (byRequest.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Needs an approved request (not reachable now; request one of the roles shown):");
            Formats.WriteTable(output, ["NAME", "KIND", "ACTIONS", "LOGINS", "REQUEST ROLES"],
                byRequest.Select(r => (IReadOnlyList<string>)[r.Name, r.Kind, Formats.List(r.Actions), PolicyFormats.Targets(r), Formats.List(r.Roles)]).ToList());
        }
        if (answer.StandingAdminActions.Count > 0 || answer.RequestableAdminActions.Count > 0)
        {
            output.WriteLine();
            Formats.WriteFields(output,
            [
                ("admin actions now", Formats.List(answer.StandingAdminActions)),
                ("admin actions by request", Formats.List(answer.RequestableAdminActions)),
            ]);
        }
    }
}
