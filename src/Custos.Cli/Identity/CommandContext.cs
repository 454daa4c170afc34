using System.CommandLine;
using System.Text.Json;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary>
/// What a command's action works with: its parse result, its output and error writers, the state directory, and
/// the one place where failures become <c>custos COMMAND: MESSAGE</c> and an exit code.
/// </summary>
public sealed class CommandContext(string name, ParseResult parse, CustosHome home)
{
    public string Name { get; } = name;

    public ParseResult Parse { get; } = parse;

    public CustosHome Home { get; } = home;

    public TextWriter Out { get; } = parse.InvocationConfiguration.Output;

    public TextWriter Error { get; } = parse.InvocationConfiguration.Error;

    public TextReader In { get; } = Console.In;

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="body"/>, with the shared error reporting.</summary>
    public static void Bind(Command command, string name, Func<CommandContext, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(name, parse, CustosHome.FromEnvironment());
            try
            {
                return await body(context, cancellationToken);
            }
            catch (Exception e) when (Describe(e) is { } failure)
            {
                await context.Error.WriteLineAsync($"{name}: {failure.Message}");
                return failure.ExitCode;
            }
        });
    }

    /// <summary>The message and exit code for an expected failure; null for a bug (which should surface as one).</summary>
    public static (string Message, int ExitCode)? Describe(Exception e) => e switch
    {
        CliException c => (c.Message, c.ExitCode),
        ApiException { SessionRejected: true } => ("your session has expired or was revoked; run custos login", ExitCodes.Failure),
        ApiException a => (a.Message, ExitCodes.Failure),
        IOException or UnauthorizedAccessException => (e.Message, ExitCodes.IoError),
        _ => null,
    };

    /// <summary>An API client for the stored session (token from the state directory, server from flags or profile).</summary>
    public ApiClient OpenSession(ConnectionOptions connection)
    {
        var token = Home.LoadToken() ?? throw new CliException(ExitCodes.Failure, "not logged in; run custos login");
        var settings = connection.Resolve(Parse, Home.LoadProfile());
        var client = new ApiClient(settings.Server, settings.CreateTrust(), token);
        client.StepUp = cancellationToken => StepUpAsync(client, cancellationToken);
        return client;
    }

    /// <summary>An API client without a session (login, bootstrap, invitations, bot join).</summary>
    public static ApiClient OpenAnonymous(ConnectionSettings settings, ServerTrust trust) => new(settings.Server, trust);

    private static async Task<bool> StepUpAsync(ApiClient client, CancellationToken cancellationToken)
    {
        if (!Prompts.IsInteractive)
            throw new CliException(ExitCodes.Failure, "this action needs a fresh MFA code: run custos mfa verify --otp CODE, then repeat it");
        var code = Prompts.ReadLine("This action needs a fresh MFA code: ", "run custos mfa verify --otp CODE first");
        if (code.Length == 0) return false;
        await client.SendAsync<SessionDto>(HttpMethod.Post, "v1/auth/mfa/verify", new StepUpRequest(code, null), cancellationToken);
        return true;
    }

    /// <summary>Prints a JSON text received from the API, indented (<c>-o json</c>).</summary>
    public void PrintJson(string json) => Out.WriteLine(ApiJson.Indent(json));

    /// <summary>Prints a value in the API's JSON shape, indented.</summary>
    public void PrintJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, ApiJson.Indented));
}
