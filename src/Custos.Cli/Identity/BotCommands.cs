using System.CommandLine;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary><c>custos bot join|renew</c>: run on the bot's machine to obtain and renew its credentials.</summary>
public static class BotCommands
{
    public static Command Create() => new("bot", "Credentials of a bot or agent, kept in a directory.") { Join(), Renew() };

    private static Command Join()
    {
        var connection = new ConnectionOptions();
        var tokenFile = CommonOptions.TokenFile("one-time join token (custos admin bots add)");
        var outDir = new Option<string>("--out") { Description = "The credential directory to create (0700).", Required = true };
        var command = new Command("join", "Exchange a join token for the bot's first credentials, written to DIR.") { tokenFile, outDir };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos bot join", async (context, cancellationToken) =>
        {
            var settings = connection.Resolve(context.Parse, profile: null);
            var directory = new BotCredentialDirectory(context.Get(outDir)!);
            if (directory.HasCredential)
                throw CliException.Usage($"{directory.Root} already holds a bot credential; renew it (custos bot renew --out {directory.Root}) or choose another directory");
            var token = SecretInput.ReadTokenFile(context.Get(tokenFile)!, context.Error);
            var trust = settings.CreateTrust();
            using var client = CommandContext.OpenAnonymous(settings, trust);
            var issued = await client.SendAsync<BotCredentialResponse>(HttpMethod.Post, "v1/bots/join", new BotJoinRequest(token), cancellationToken);
            Save(directory, settings, trust, issued);
            await context.Out.WriteLineAsync($"{issued.Bot} joined {settings.ServerText}: generation {issued.Generation}, valid until {issued.ExpiresAt}; credentials in {directory.Root}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Renew()
    {
        var connection = new ConnectionOptions();
        var outDir = new Option<string>("--out") { Description = "The bot's credential directory (from custos bot join).", Required = true };
        var command = new Command("renew", "Exchange the renewal credential in DIR for new credentials (the old generation stops working).") { outDir };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos bot renew", async (context, cancellationToken) =>
        {
            var directory = new BotCredentialDirectory(context.Get(outDir)!);
            var state = directory.LoadState();
            var credential = directory.LoadCredential();
            var settings = connection.Resolve(context.Parse, new Profile(state.Server, state.CaFile, state.Fingerprint, state.Bot));
            var trust = settings.CreateTrust();
            using var client = CommandContext.OpenAnonymous(settings, trust);
            BotCredentialResponse issued;
            try
            {
                issued = await client.SendAsync<BotCredentialResponse>(HttpMethod.Post, "v1/bots/renew", new BotRenewRequest(credential), cancellationToken);
            }
            catch (CliException e) when (e.InnerException is HttpRequestException { HttpRequestError: not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError) }
                                         or TaskCanceledException)
            {
                throw new CliException(e.ExitCode, e.Message + $"; the server may have accepted the renewal without this client seeing the answer: if a retry is refused, the credential in {directory.Root} is dead and the bot must join again", e);
            }
            Save(directory, settings, trust, issued);
            await context.Out.WriteLineAsync($"{issued.Bot} renewed: generation {issued.Generation}, valid until {issued.ExpiresAt}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Save(BotCredentialDirectory directory, ConnectionSettings settings, ServerTrust trust, BotCredentialResponse issued)
    {
        var state = new BotState(settings.ServerText, settings.CaFile, settings.CaFile is null ? trust.Fingerprint ?? settings.Fingerprint : null,
            issued.Bot, issued.Generation, issued.ExpiresAt, issued.SessionId);
        try
        {
            directory.Save(state, issued.AccessToken, issued.Credential);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.IoError,
                $"the server issued generation {issued.Generation} but it could not be saved in {directory.Root} ({e.Message}); " +
                "what it was exchanged for (the join token, or the previous generation) is now used up and the new secrets were not printed: " +
                $"fix the directory and join the bot again with a new join token (custos admin bots add); an administrator can revoke session {issued.SessionId}", e);
        }
    }
}
