using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Certificates;

/// <summary><c>custos admin ca ...</c>: Custos's SSH certificate authorities, as nodes and clients trust them.</summary>
public static class CaCommands
{
    public const string User = "user";
    public const string Host = "host";

    public static Command Create() => new("ca", "Custos's SSH certificate authorities.") { Export(), RevocationCommands.Revoke(), RevocationCommands.List() };

    private static Command Export()
    {
        var connection = new ConnectionOptions();
        var type = new Option<string>("--type") { Description = "Which CA: user (for sshd's TrustedUserCAKeys) or host.", Required = true };
        type.AcceptOnlyFromAmong(User, Host);
        var output = CommonOptions.Output();
        var command = new Command("export",
            "Print the CA's public key lines (during a rotation, the old and the new). Needs no session: the keys are public.")
        {
            type, output,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin ca export", async (context, cancellationToken) =>
        {
            var settings = connection.Resolve(context.Parse, context.Home.LoadProfile());
            using var client = CommandContext.OpenAnonymous(settings, settings.CreateTrust());
            var (keys, json) = await client.SendForJsonAsync<CaPublicKeysResponse>(HttpMethod.Get, "v1/ca/ssh/" + context.Get(type), null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            await context.Out.WriteAsync(keys.Lines.Length == 0 || keys.Lines.EndsWith('\n') ? keys.Lines : keys.Lines + "\n");
            return ExitCodes.Success;
        });
        return command;
    }
}
