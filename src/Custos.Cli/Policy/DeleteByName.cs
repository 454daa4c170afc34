using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;

namespace Custos.Cli.Policy;

/// <summary><c>… rm NAME</c>: deletes one named object through <c>DELETE</c> on its API path and says so.</summary>
public static class DeleteByName
{
    public static Command Create(string commandPath, string description, string nameDescription, Func<string, string> apiPath)
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name(nameDescription);
        var command = new Command("rm", description) { name };
        connection.AddTo(command);
        CommandContext.Bind(command, commandPath, async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var target = context.Get(name)!;
            await client.SendAsync(HttpMethod.Delete, apiPath(target), null, cancellationToken);
            await context.Out.WriteLineAsync($"{target}: deleted.");
            return ExitCodes.Success;
        });
        return command;
    }
}
