using System.CommandLine;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary><c>custos admin bots add</c>: a bot or agent identity and its one-time join token.</summary>
public static class BotAdminCommands
{
    public static Command Create() => new("bots", "Machine identities: bots and AI agents (needs an administrator session).") { Add() };

    private static Command Add()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The bot's name.");
        var roles = UserAdminCommands.RolesOption(required: true);
        var kind = new Option<string>("--kind") { Description = "bot or agent.", DefaultValueFactory = _ => "bot" };
        kind.AcceptOnlyFromAmong("bot", "agent");
        var traits = CommonOptions.Traits();
        var credentialTtl = CommonOptions.Duration("--credential-ttl", "How long each access token lives before renewal (e.g. 1h).");
        var joinTtl = CommonOptions.Duration("--join-ttl", "How long the join token is valid.");
        var outFile = CommonOptions.OutFile("join token");
        var command = new Command("add", "Create a bot or agent and a one-time join token for it (shown once).")
        {
            name, roles, kind, traits, credentialTtl, joinTtl, outFile,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin bots add", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var request = new CreateBotRequest(context.Get(name)!, context.Get(kind), CommonOptions.SplitRoles(context.Get(roles)),
                CommonOptions.ToTraits(context.Get(traits)), context.Get(credentialTtl), context.Get(joinTtl));
            var created = await client.SendAsync<CreateBotResponse>(HttpMethod.Post, "v1/bots", request, cancellationToken);
            await context.Out.WriteLineAsync($"Created {created.Bot.Kind} {created.Bot.Name} (roles: {Formats.List(created.Bot.Roles)}).");
            HandOver.Print(context.Out, created.JoinToken, context.Get(outFile), created.Bot.Name,
                flags => $"custos bot join {flags} --out DIR", connection.Resolve(context.Parse, context.Home.LoadProfile()));
            return ExitCodes.Success;
        });
        return command;
    }
}
