using System.CommandLine;
using System.Globalization;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary>
/// <c>custos admin roles ...</c>: role documents (YAML, see docs/policy.md). Writes are checked by the server's parser
/// and linter; the linter's findings are always shown (standard error), and <c>--dry-run</c> shows the diff without
/// storing. <c>get</c> adds a <c>revision:</c> line so that <c>get</c>, edit, <c>update -f</c> is safe against a
/// concurrent change.
/// </summary>
public static class RoleCommands
{
    private const string StaleRevision = ApiProblem.TypePrefix + "stale-revision";

    public static Command Create() => new("roles", "Manage roles: YAML documents that allow and deny actions on resources.")
    {
        CreateRole(), Get(), List(), DeleteByName.Create("custos admin roles rm", "Delete a role.", "The role to delete.", RolePath), Update(),
    };

    private static Command CreateRole()
    {
        var connection = new ConnectionOptions();
        var file = FileOption();
        var dryRun = DryRunOption();
        var command = new Command("create", "Create a role from a YAML document.") { file, dryRun };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin roles create", async (context, cancellationToken) =>
        {
            var yaml = await PolicyInput.ReadAsync(context, context.Get(file)!, cancellationToken);
            using var client = context.OpenSession(connection);
            var answer = await client.SendAsync<RoleWriteResponse>(HttpMethod.Post, WithDryRun("v1/roles", context.Get(dryRun)),
                new RoleWriteRequest(yaml, null), cancellationToken);
            await ReportAsync(context, answer, "created");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Update()
    {
        var connection = new ConnectionOptions();
        var file = FileOption();
        var revision = new Option<long?>("--revision") { Description = "The revision the change starts from (default: the document's revision: line)." };
        revision.Validators.Add(result =>
        {
            // Read the token: a value that is not a number at all is already reported by the parser.
            if (result.Tokens is [var token] && long.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n <= 0)
                result.AddError("--revision: a revision is a positive number");
        });
        var dryRun = DryRunOption();
        var command = new Command("update", "Replace a role with a YAML document (the role named in it); refused if the role changed since the revision.")
        {
            file, revision, dryRun,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin roles update", async (context, cancellationToken) =>
        {
            var path = context.Get(file)!;
            var yaml = await PolicyInput.ReadAsync(context, path, cancellationToken);
            var header = RoleDocumentText.ReadHeader(yaml, PolicyInput.Describe(path));
            var name = header.Name ?? throw CliException.Usage($"{PolicyInput.Describe(path)}: the document has no name: line, so there is no role to update");
            var given = context.Get(revision);
            var from = given ?? header.Revision
                ?? throw CliException.Usage($"no revision: pass --revision N, or keep the revision: line that custos admin roles get {name} prints");
            using var client = context.OpenSession(connection);
            RoleWriteResponse answer;
            try
            {
                answer = await client.SendAsync<RoleWriteResponse>(HttpMethod.Put, WithDryRun(RolePath(name), context.Get(dryRun)),
                    new RoleWriteRequest(yaml, given), cancellationToken);
            }
            catch (ApiException e) when (e.Problem.Is(StaleRevision))
            {
                throw new CliException(ExitCodes.Failure,
                    $"{e.Message} (your change starts from revision {from.ToString(CultureInfo.InvariantCulture)}; custos admin roles get {name} prints the current one)", e);
            }
            await ReportAsync(context, answer, "updated");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Get()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The role.");
        var command = new Command("get", "Print a role's YAML with its revision: line (edit it and run update -f).") { name };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin roles get", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var role = await client.SendAsync<RoleDto>(HttpMethod.Get, RolePath(context.Get(name)!), null, cancellationToken);
            await context.Out.WriteAsync(RoleDocumentText.WithRevision(role.Yaml, role.Revision));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("ls", "List roles.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin roles ls", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (list, json) = await client.SendForJsonAsync<RoleListResponse>(HttpMethod.Get, "v1/roles", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["NAME", "REQUIRES REQUEST", "REVISION", "UPDATED", "BY", "DESCRIPTION"],
                list.Roles.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => (IReadOnlyList<string>)[r.Name, r.RequiresRequest ? "yes" : "no",
                    r.Revision.ToString(CultureInfo.InvariantCulture), r.UpdatedAt, r.UpdatedBy, r.Description ?? "-"]).ToList());
            return ExitCodes.Success;
        });
        return command;
    }


    /// <summary>Findings to standard error (always); the diff on a dry run, else what was stored.</summary>
    private static async Task ReportAsync(CommandContext context, RoleWriteResponse answer, string done)
    {
        foreach (var finding in answer.Findings) await context.Error.WriteLineAsync($"{context.Name}: {Describe(finding)}");
        if (answer.DryRun)
        {
            await context.Out.WriteLineAsync(answer.Changed
                ? $"Dry run: the role would be {done}; nothing was stored."
                : "Dry run: no change; nothing was stored.");
            if (answer.Diff.Length > 0) await context.Out.WriteAsync(answer.Diff.EndsWith('\n') ? answer.Diff : answer.Diff + "\n");
            return;
        }
        var role = answer.Role ?? throw new CliException(ExitCodes.Failure, "the server stored the role but did not return it");
        var revision = role.Revision.ToString(CultureInfo.InvariantCulture);
        await context.Out.WriteLineAsync(answer.Changed ? $"Role {role.Name} {done} (revision {revision})." : $"Role {role.Name} unchanged (revision {revision}).");
    }

    /// <summary>"warning POL005 at allow.actions: ..." (the path is left out when the finding is about the whole role).</summary>
    public static string Describe(LintFindingDto finding) =>
        finding.Path.Length == 0
            ? $"{finding.Severity} {finding.Code}: {finding.Message}"
            : $"{finding.Severity} {finding.Code} at {finding.Path}: {finding.Message}";

    private static Option<string> FileOption() => new("--file", "-f")
    {
        Description = "The role document (YAML); \"-\" reads standard input.",
        Required = true,
    };

    private static Option<bool> DryRunOption() => new("--dry-run") { Description = "Validate, lint and show the diff; store nothing." };

    private static string WithDryRun(string path, bool dryRun) => dryRun ? path + "?dry_run=true" : path;

    public static string RolePath(string name) => "v1/roles/" + Uri.EscapeDataString(name);
}
