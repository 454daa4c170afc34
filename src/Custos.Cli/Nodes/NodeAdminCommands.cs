using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Cli.Policy;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Nodes;

/// <summary>
/// The administrator's side of node enrolment under <c>custos admin resources</c>: one-time join tokens for a
/// registered <c>ssh_node</c> (handed over in a 0600 file, never printed) and the sshd_config lines for a node.
/// </summary>
public static class NodeAdminCommands
{
    public static string JoinTokensPath(string node) => "v1/nodes/" + Uri.EscapeDataString(node) + "/join-tokens";

    /// <summary><c>--join-token-ttl</c> / <c>--ttl</c>: how long the token works.</summary>
    public static Option<string?> TtlOption(string name) =>
        CommonOptions.Duration(name, "How long the join token works, e.g. 30m (default 1h, at most 24h).");

    /// <summary>
    /// Refuses a token file that exists already (or whose directory does not), before anything is asked of the server:
    /// a join token is a credential, and overwriting a file by mistake could leak or lose one.
    /// </summary>
    public static string CheckTokenFileIsNew(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) || Directory.Exists(full))
            throw CliException.Usage($"{option}: {path} exists already; give a new file name (the join token is written only to a new file)");
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw CliException.Usage($"{option}: the directory {directory} does not exist");
        return full;
    }

    /// <summary>Issues a join token for <paramref name="node"/>, writes it to the new file <paramref name="path"/> (0600) and says what to run on the node.</summary>
    public static async Task IssueAsync(CommandContext context, ApiClient client, ConnectionSettings settings, string node, string? ttl, string path,
        bool resourceJustAdded, CancellationToken cancellationToken)
    {
        NodeJoinTokenResponse issued;
        try
        {
            issued = await client.SendAsync<NodeJoinTokenResponse>(HttpMethod.Post, JoinTokensPath(node), new NodeJoinTokenRequest(ttl), cancellationToken);
        }
        catch (ApiException e) when (resourceJustAdded && !e.SessionRejected)
        {
            throw new CliException(ExitCodes.Failure, $"{node} was added, but no join token was issued: {e.Message}; " +
                $"once that is fixed, run custos admin resources join-token {node} --out {path}", e);
        }
        try
        {
            NodeFiles.WriteExclusive(path, System.Text.Encoding.UTF8.GetBytes(issued.Token + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var added = resourceJustAdded ? $"{node} was added, but " : "";
            throw new CliException(ExitCodes.IoError, $"{added}the join token could not be written to {path} ({e.Message}); " +
                $"issue a fresh one with custos admin resources join-token {node} --out NEWFILE (the unused token expires at {issued.ExpiresAt})", e);
        }
        await WriteHandOverAsync(context.Out, settings, issued, path);
    }

    /// <summary>Where the token is and the command to run on the node (the token itself is never printed).</summary>
    public static async Task WriteHandOverAsync(TextWriter output, ConnectionSettings settings, NodeJoinTokenResponse issued, string path)
    {
        var caFile = settings.CaFile is null ? "SERVER-CA.crt" : Path.GetFileName(settings.CaFile);
        await output.WriteLineAsync($"The one-time join token for node {issued.Node} (valid until {issued.ExpiresAt}) is in {path} (0600).");
        await output.WriteLineAsync("Copy it to the node over a trusted channel" +
            (settings.CaFile is null ? ", with the server's TLS CA certificate (as SERVER-CA.crt)," : $", with {settings.CaFile},") + " and run there as root:");
        await output.WriteLineAsync($"  custos node join --server {settings.ServerText} --ca-file {caFile} --token-file {Path.GetFileName(path)}");
        await output.WriteLineAsync("then add the sshd_config lines it prints and reload sshd.");
    }

    /// <summary><c>custos admin resources join-token NAME --out FILE [--ttl]</c>: a fresh token for a registered node (re-enrolment).</summary>
    /// <summary><c>custos admin resources nodes</c>: the enrolled nodes, their host keys and when they last synchronised.</summary>
    public static Command Nodes()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("nodes", "List the enrolled SSH nodes: host key, enrolment, last custos node sync, host certificate expiry.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources nodes", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (list, json) = await client.SendForJsonAsync<EnrolledNodeListResponse>(HttpMethod.Get, "v1/nodes", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["NODE", "HOST KEY", "ENROLLED", "LAST SYNC", "HOST CERT UNTIL", "REGISTERED"],
                [.. list.Nodes.Select(n => (IReadOnlyList<string>)[n.Node, n.HostKeyFingerprint, n.EnrolledAt, n.LastSyncAt ?? "never", n.HostCertificateValidBefore ?? "-", n.Registered ? "yes" : "no (removed)"])]);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command JoinToken()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The registered ssh_node.");
        var outFile = new Option<string>("--out") { Description = "Write the join token to this new file (created 0600; an existing file is refused).", Required = true };
        var ttl = TtlOption("--ttl");
        var command = new Command("join-token",
            "Issue a one-time join token for a registered ssh_node (to enrol it, or enrol it again after its host key changed).")
        {
            name, outFile, ttl,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources join-token", async (context, cancellationToken) =>
        {
            var path = CheckTokenFileIsNew(context.Get(outFile)!, "--out");
            var settings = connection.Resolve(context.Parse, context.Home.LoadProfile());
            using var client = context.OpenSession(connection);
            await IssueAsync(context, client, settings, context.Get(name)!, context.Get(ttl), path, resourceJustAdded: false, cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>custos admin resources sshd-config NAME [--dir DIR] [--host-key PATH]</c>.</summary>
    public static Command SshdConfig()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The registered ssh_node.");
        var dir = new Option<string>("--dir")
        {
            Description = $"The managed directory on the node (default {NodeLayout.DefaultDirectory}).",
            DefaultValueFactory = _ => NodeLayout.DefaultDirectory,
        };
        var hostKey = new Option<string>("--host-key")
        {
            Description = $"The host public key file on the node (default {NodeLayout.DefaultHostKey}).",
            DefaultValueFactory = _ => NodeLayout.DefaultHostKey,
        };
        dir.Validators.Add(result => RequireAbsolute(result, "--dir", mustBePub: false));
        hostKey.Validators.Add(result => RequireAbsolute(result, "--host-key", mustBePub: true));
        var command = new Command("sshd-config", "Print the sshd_config lines for a node whose files custos node join and sync manage.")
        {
            name, dir, hostKey,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin resources sshd-config", async (context, cancellationToken) =>
        {
            var node = context.Get(name)!;
            using var client = context.OpenSession(connection);
            var resource = await client.SendAsync<ResourceDto>(HttpMethod.Get, ResourceCommands.ResourcePath(node), null, cancellationToken);
            if (resource.Kind != ResourceCommands.SshNode)
                throw new CliException(ExitCodes.Failure, $"{node} is a {resource.Kind}, not an ssh_node");
            await context.Out.WriteAsync(SshdConfigText.Build(resource.Name, context.Get(dir)!, context.Get(hostKey)!));
            return ExitCodes.Success;
        });
        return command;
    }

    // The paths are the node's, not this machine's: resolving a relative one here would be wrong.
    private static void RequireAbsolute(System.CommandLine.Parsing.OptionResult result, string option, bool mustBePub)
    {
        if (result.GetValueOrDefault<string>() is not { } text) return;
        if (!text.StartsWith('/')) result.AddError($"{option}: \"{text}\" is not an absolute path (as on the node)");
        else if (mustBePub && !text.EndsWith(".pub", StringComparison.Ordinal)) result.AddError($"{option}: \"{text}\" is not a public key file (.pub)");
    }
}
