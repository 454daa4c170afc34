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

    public static Command Create() => new("ca", "Custos's SSH certificate authorities.")
    {
        Export(), CaRotationCommands.Rotate(), CaRotationCommands.Status(), RevocationCommands.Revoke(), RevocationCommands.List(),
    };

    private static Command Export()
    {
        var connection = new ConnectionOptions();
        var type = new Option<string>("--type") { Description = "Which CA: user (for sshd's TrustedUserCAKeys) or host.", Required = true };
        type.AcceptOnlyFromAmong(User, Host);
        var knownHosts = new Option<bool>("--known-hosts")
        {
            Description = "With --type host: print @cert-authority known_hosts lines for the registered SSH nodes (needs a session with resources.read).",
        };
        var output = CommonOptions.Output();
        var command = new Command("export",
            "Print the CA's public key lines (during a rotation, the old and the new). Needs no session: the keys are public.")
        {
            type, knownHosts, output,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(knownHosts) && result.GetValue(type) == User)
                result.AddError("--known-hosts applies to --type host only (known_hosts trusts host certificates)");
        });
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin ca export", async (context, cancellationToken) =>
        {
            var json = context.Get(output) == CommonOptions.Json;
            string lines, text;
            if (context.Get(knownHosts))
            {
                using var client = context.OpenSession(connection);
                var (answer, body) = await client.SendForJsonAsync<KnownHostsResponse>(HttpMethod.Get, "v1/ca/ssh/host/known-hosts", null, cancellationToken);
                (lines, text) = (answer.Lines, body);
            }
            else
            {
                var settings = connection.Resolve(context.Parse, context.Home.LoadProfile());
                using var client = CommandContext.OpenAnonymous(settings, settings.CreateTrust());
                var (keys, body) = await client.SendForJsonAsync<CaPublicKeysResponse>(HttpMethod.Get, "v1/ca/ssh/" + context.Get(type), null, cancellationToken);
                (lines, text) = (keys.Lines, body);
            }
            if (json) context.PrintJson(text);
            else await context.Out.WriteAsync(lines.Length == 0 || lines.EndsWith('\n') ? lines : lines + "\n");
            return ExitCodes.Success;
        });
        return command;
    }
}
