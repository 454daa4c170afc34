using System.CommandLine;
using System.Globalization;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Cli.Nodes;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary><c>custos admin resources ...</c>: the inventory of SSH nodes, databases and apps (policy API).</summary>
public static class ResourceCommands
{
    public const string SshNode = "ssh_node";
    public const string Database = "database";
    public const string App = "app";

    public static Command Create() => new("resources", "Manage the inventory: SSH nodes, databases and apps that roles select by label.")
    {
        Add(), List(), Show(), DeleteByName.Create("custos admin resources rm", "Delete a resource from the inventory.", "The resource to delete.", ResourcePath), Import(), Export(),
        NodeAdminCommands.JoinToken(), NodeAdminCommands.SshdConfig(), NodeAdminCommands.Nodes(),
    };

    /// <summary>The options of <c>add</c>, so that options added later (a join token) sit beside the resource's own.</summary>
    private sealed class AddOptions
    {
        public Argument<string> Name { get; } = CommonOptions.Name("The resource's name (unique).");

        public Option<string> Kind { get; } = KindOption("The kind of resource: ssh_node, database or app.", required: true);

        public Option<string?> Address { get; } = new("--address") { Description = "HOST:PORT to reach it (ssh_node: port 22 by default, database: 5432)." };

        public Option<string[]> Labels { get; } = ResourceLabels.Option("A label KEY=VALUE that roles select on (repeat for more).");

        public Option<string[]> Databases { get; } = new("--database") { Description = "A database name on a database server (repeat for more).", Arity = ArgumentArity.ZeroOrMore };

        public Option<string?> HostKeyFingerprint { get; } = new("--host-key-fingerprint") { Description = "The SSH node's host key, SHA256:BASE64 as ssh-keygen -l shows it." };

        public Option<bool> TrustHostCa { get; } = new("--trust-host-ca") { Description = "Trust the SSH node's host certificate from Custos's host CA instead of a pinned key." };

        public Option<string?> Url { get; } = new("--url") { Description = "The app's URL (app only)." };

        public Option<string?> JoinTokenOut { get; } = new("--join-token-out")
        {
            Description = "ssh_node: then issue a one-time join token into this new file (0600) for custos node join on the node.",
        };

        public Option<string?> JoinTokenTtl { get; } = NodeAdminCommands.TtlOption("--join-token-ttl");

        public void AddTo(Command command)
        {
            command.Arguments.Add(Name);
            foreach (var option in new Option[] { Kind, Address, Labels, Databases, HostKeyFingerprint, TrustHostCa, Url, JoinTokenOut, JoinTokenTtl }) command.Options.Add(option);
            HostKeyFingerprint.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<string?>() is { } text && !CertificateFingerprint.TryParse(text, out _, out var error))
                    result.AddError("--host-key-fingerprint: " + error);
            });
            command.Validators.Add(result =>
            {
                // Only for a valid kind (the option reports a missing or unknown one itself).
                if (result.GetResult(Kind)?.Tokens is not [var token] || token.Value is not (SshNode or Database or App)) return;
                var kind = token.Value;
                var given = new Dictionary<string, bool>(StringComparer.Ordinal)
                {
                    ["--address"] = result.GetResult(Address) is not null,
                    ["--url"] = result.GetResult(Url) is not null,
                    ["--database"] = result.GetValue(Databases) is { Length: > 0 },
                    ["--host-key-fingerprint"] = result.GetResult(HostKeyFingerprint) is not null,
                    ["--trust-host-ca"] = result.GetValue(TrustHostCa),
                    ["--join-token-out"] = result.GetResult(JoinTokenOut) is not null,
                };
                string[] required = kind == App ? ["--url"] : ["--address"];
                string[] allowed = kind switch
                {
                    SshNode => ["--address", "--host-key-fingerprint", "--trust-host-ca", "--join-token-out"],
                    Database => ["--address", "--database"],
                    _ => ["--url"],
                };
                foreach (var flag in required.Where(f => !given[f])) result.AddError($"--kind {kind} needs {flag}");
                foreach (var flag in given.Where(g => g.Value && !allowed.Contains(g.Key)).Select(g => g.Key))
                    result.AddError($"{flag} does not apply to --kind {kind}");
                if (result.GetResult(JoinTokenTtl) is not null && !given["--join-token-out"]) result.AddError("--join-token-ttl needs --join-token-out");
            });
        }

        public ResourceRequest ToRequest(ParseResult parse) => new(
            parse.GetValue(Name),
            parse.GetValue(Kind),
            parse.GetValue(Address),
            parse.GetValue(Databases) is { Length: > 0 } databases ? databases.Distinct(StringComparer.Ordinal).ToList() : null,
            parse.GetValue(HostKeyFingerprint) is { } fingerprint ? CertificateFingerprint.Normalize(fingerprint) : null,
            parse.GetValue(TrustHostCa) ? true : null,
            parse.GetValue(Url),
            ResourceLabels.Parse(parse.GetValue(Labels)),
            null);
    }

    private static Command Add()
    {
        var connection = new ConnectionOptions();
        var options = new AddOptions();
        var command = new Command("add", "Add a resource to the inventory.");
        options.AddTo(command);
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources add", async (context, cancellationToken) =>
        {
            // Checked before the resource is added, so that a taken file name leaves nothing half done.
            var tokenFile = context.Get(options.JoinTokenOut) is { } path ? NodeAdminCommands.CheckTokenFileIsNew(path, "--join-token-out") : null;
            using var client = context.OpenSession(connection);
            var created = await client.SendAsync<ResourceDto>(HttpMethod.Post, "v1/resources", options.ToRequest(context.Parse), cancellationToken);
            await context.Out.WriteLineAsync($"Created {created.Kind} {created.Name} ({Where(created)}; labels: {ResourceLabels.Format(created.Labels)}).");
            if (tokenFile is not null)
            {
                var settings = connection.Resolve(context.Parse, context.Home.LoadProfile());
                await NodeAdminCommands.IssueAsync(context, client, settings, created.Name, context.Get(options.JoinTokenTtl), tokenFile,
                    resourceJustAdded: true, cancellationToken);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var kind = KindOption("Only this kind: ssh_node, database or app.", required: false);
        var labels = ResourceLabels.Option("Only resources with this label KEY=VALUE (repeat: all of them).");
        var output = CommonOptions.Output();
        var command = new Command("ls", "List resources.") { kind, labels, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources ls", async (context, cancellationToken) =>
        {
            var query = new List<string>();
            if (context.Get(kind) is { } k) query.Add("kind=" + Uri.EscapeDataString(k));
            foreach (var (key, value) in ResourceLabels.Parse(context.Get(labels))) query.Add("label=" + Uri.EscapeDataString(key + "=" + value));
            var path = query.Count == 0 ? "v1/resources" : "v1/resources?" + string.Join("&", query);
            using var client = context.OpenSession(connection);
            var (list, json) = await client.SendForJsonAsync<ResourceListResponse>(HttpMethod.Get, path, null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["NAME", "KIND", "ADDRESS", "LABELS", "REVISION"],
                list.Resources.OrderBy(r => r.Name, StringComparer.Ordinal)
                    .Select(r => (IReadOnlyList<string>)[r.Name, r.Kind, Where(r), ResourceLabels.Format(r.Labels), r.Revision.ToString(CultureInfo.InvariantCulture)]).ToList());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The resource to show.");
        var output = CommonOptions.Output();
        var command = new Command("show", "Show one resource.") { name, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources show", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (resource, json) = await client.SendForJsonAsync<ResourceDto>(HttpMethod.Get, ResourcePath(context.Get(name)!), null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else WriteResource(context.Out, resource);
            return ExitCodes.Success;
        });
        return command;
    }

    public static void WriteResource(TextWriter output, ResourceDto resource)
    {
        var fields = new List<(string, string)> { ("name", resource.Name), ("kind", resource.Kind) };
        if (resource.Kind == App) fields.Add(("url", resource.Url ?? "-"));
        else fields.Add(("address", resource.Address ?? "-"));
        if (resource.Kind == Database) fields.Add(("databases", Formats.List(resource.Databases)));
        if (resource.Kind == SshNode)
        {
            fields.Add(("host key", resource.HostKeyFingerprint ?? "-"));
            fields.Add(("trust host ca", resource.TrustHostCa ? "yes" : "no"));
        }
        fields.Add(("labels", ResourceLabels.Format(resource.Labels)));
        fields.Add(("revision", resource.Revision.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("created", resource.CreatedAt));
        fields.Add(("updated", resource.UpdatedAt));
        Formats.WriteFields(output, fields);
    }


    private static Command Import()
    {
        var connection = new ConnectionOptions();
        var file = new Argument<string>("FILE") { Description = "A YAML file in the format export writes (\"-\" for standard input)." };
        var command = new Command("import", "Create or update resources from a YAML file (idempotent: unchanged resources are left alone).") { file };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources import", async (context, cancellationToken) =>
        {
            var path = context.Get(file)!;
            var yaml = await PolicyInput.ReadAsync(context, path, cancellationToken);
            using var client = context.OpenSession(connection);
            var result = await client.SendAsync<ResourceImportResponse>(HttpMethod.Post, "v1/resources/import", new ResourceImportRequest(yaml), cancellationToken);
            await context.Out.WriteLineAsync(
                $"Imported {PolicyInput.Describe(path)}: {result.Created} created, {result.Updated} updated, {result.Unchanged} unchanged.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Export()
    {
        var connection = new ConnectionOptions();
        var outFile = new Option<string?>("--out", "-o") { Description = "Write the YAML to this file (created 0600) instead of standard output." };
        var command = new Command("export", "Write every resource as one YAML document that import accepts.") { outFile };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources export", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var export = await client.SendAsync<ResourceExportResponse>(HttpMethod.Get, "v1/resources/export", null, cancellationToken);
            var yaml = export.Yaml.EndsWith('\n') || export.Yaml.Length == 0 ? export.Yaml : export.Yaml + "\n";
            if (context.Get(outFile) is { } path)
            {
                SecureFiles.WriteAtomic(path, yaml);
                await context.Out.WriteLineAsync($"Exported {export.Count} resource(s) to {path}.");
            }
            else
            {
                await context.Out.WriteAsync(yaml);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<string> KindOption(string description, bool required)
    {
        var option = new Option<string>("--kind") { Description = description, Required = required };
        option.AcceptOnlyFromAmong(SshNode, Database, App);
        return option;
    }

    /// <summary>The address, or the URL of an app.</summary>
    private static string Where(ResourceDto resource) => resource.Address ?? resource.Url ?? "-";

    public static string ResourcePath(string name) => "v1/resources/" + Uri.EscapeDataString(name);
}
