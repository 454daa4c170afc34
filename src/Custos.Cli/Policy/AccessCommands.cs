using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Core.Policy;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary>
/// <c>custos access check|who-can|what-can</c>: questions to the policy engine, answered by the server with the
/// policy it enforces. <c>check</c> exits 0 when the access is allowed and 1 when it is denied, so scripts can ask it.
/// </summary>
public static partial class AccessCommands
{
    public const string NoResource = "-";

    public static Command Create() => new("access", "Ask the policy: may someone do something, who can, and what can someone reach.")
    {
        Check(), WhoCan(), WhatCan(),
    };

    private static Command Check()
    {
        var connection = new ConnectionOptions();
        var user = CommonOptions.Name("The identity asked about (anyone but yourself needs audit.read).", "USER");
        var action = ActionArgument();
        var resource = ResourceArgument();
        var login = new Option<string?>("--login") { Description = "The Unix login (ssh.* actions)." };
        var dbUser = new Option<string?>("--db-user") { Description = "The database user (db.* actions)." };
        var dbName = new Option<string?>("--db-name") { Description = "The database name (db.* actions)." };
        var from = new Option<string?>("--from") { Description = "The source IP address the access would come from." };
        from.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !IPAddress.TryParse(text, out _)) result.AddError($"--from: \"{text}\" is not an IP address");
        });
        var at = new Option<string?>("--at") { Description = "When (RFC 3339, e.g. 2025-06-02T09:30:00Z); default now." };
        at.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !IsRfc3339(text))
                result.AddError($"--at: \"{text}\" is not an RFC 3339 time such as 2025-06-02T09:30:00Z");
        });
        var mfa = new Option<bool>("--mfa") { Description = "The session has satisfied per-session MFA." };
        var output = CommonOptions.Output();
        var command = new Command("check", "May USER do ACTION on RESOURCE? Prints the decision, obligations and explanation; exit 0 allowed, 1 denied.")
        {
            user, action, resource, login, dbUser, dbName, from, at, mfa, output,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos access check", async (context, cancellationToken) =>
        {
            var request = new AccessCheckRequest(context.Get(user), context.Get(action)!, ResourceOrNull(context.Get(resource)!),
                context.Get(login), context.Get(dbUser), context.Get(dbName), context.Get(from)?.Trim(), context.Get(at)?.ToUpperInvariant(),
                context.Get(mfa) ? "per_session" : null);
            using var client = context.OpenSession(connection);
            AccessCheckResponse answer;
            string json;
            try
            {
                (answer, json) = await client.SendForJsonAsync<AccessCheckResponse>(HttpMethod.Post, "v1/access/check", request, cancellationToken);
            }
            catch (ApiException e) when (e.Problem.Status == (int)HttpStatusCode.BadRequest)
            {
                // The question itself is malformed: a usage error, never to be mistaken for "denied" (exit 1).
                throw new CliException(ExitCodes.Usage, e.Message, e);
            }
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else PolicyFormats.WriteDecision(context.Out, answer);
            return answer.Decision == "allow" ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static Command WhoCan()
    {
        var connection = new ConnectionOptions();
        var action = ActionArgument();
        var resource = ResourceArgument();
        var output = CommonOptions.Output();
        var command = new Command("who-can", "Which roles and identities can do ACTION on RESOURCE, now or by request (needs audit.read).")
        {
            action, resource, output,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos access who-can", async (context, cancellationToken) =>
        {
            var path = "v1/access/who-can?action=" + Uri.EscapeDataString(context.Get(action)!);
            if (ResourceOrNull(context.Get(resource)!) is { } r) path += "&resource=" + Uri.EscapeDataString(r);
            using var client = context.OpenSession(connection);
            var (answer, json) = await client.SendForJsonAsync<WhoCanResponse>(HttpMethod.Get, path, null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else PolicyFormats.WriteWhoCan(context.Out, answer);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command WhatCan()
    {
        var connection = new ConnectionOptions();
        var user = CommonOptions.Name("The identity (anyone but yourself needs audit.read).", "USER");
        var output = CommonOptions.Output();
        var command = new Command("what-can", "What USER can reach: resources with actions and logins, standing or by request.") { user, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos access what-can", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (answer, json) = await client.SendForJsonAsync<WhatCanResponse>(HttpMethod.Get,
                "v1/access/what-can?user=" + Uri.EscapeDataString(context.Get(user)!), null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else PolicyFormats.WriteWhatCan(context.Out, answer);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Argument<string> ActionArgument()
    {
        var argument = new Argument<string>("ACTION") { Description = "An action: ssh.session, db.connect, app.access, users.read ... (docs/policy.md)." };
        argument.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && !PolicyActions.IsKnown(text))
                result.AddError($"ACTION: \"{text}\" is not an action (one of: {string.Join(", ", PolicyActions.All)})");
        });
        return argument;
    }

    private static Argument<string> ResourceArgument() =>
        new("RESOURCE") { Description = "The resource's name; \"-\" for admin actions (users.read ...), which take none." };

    private static string? ResourceOrNull(string resource) => resource == NoResource ? null : resource;

    /// <summary>RFC 3339 §5.6 date-time (a 'T' separator and an explicit offset), and a real date.</summary>
    public static bool IsRfc3339(string text) =>
        Rfc3339Pattern().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339Pattern();
}
