using System.CommandLine;
using System.Diagnostics;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Nodes;

/// <summary>
/// <c>custos node join|sync</c>: run on an SSH node (as root), without a Custos session. Join spends a one-time join
/// token to enrol the node's host key; from then on the host key is the node's credential, and sync keeps the
/// managed files (<see cref="NodeLayout"/>) and the host certificate current.
/// </summary>
public static class NodeCommands
{
    public static Command Create() => new("node", "Run on an SSH node: enrol it with Custos and keep its sshd files current.") { Join(), Sync() };

    private static Option<string> DirOption() => new("--dir")
    {
        Description = $"The directory of the files Custos manages for sshd (default {NodeLayout.DefaultDirectory}).",
    };

    private static Command Join()
    {
        var server = new Option<string>("--server") { Description = "The Custos server's URL (https://HOST:PORT).", Required = true };
        server.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && ConnectionOptions.ParseServerUrl(text, out var error) is null) result.AddError("--server: " + error);
        });
        var caFile = new Option<string>("--ca-file")
        {
            Description = "The Custos server's TLS CA certificate (or its self-signed certificate), PEM or DER; copied into the managed directory for sync.",
            Required = true,
        };
        var tokenFile = CommonOptions.TokenFile("one-time join token (custos admin resources add --join-token-out, or join-token)");
        var hostKey = new Option<string>("--host-key")
        {
            Description = $"The host public key file sshd presents; its private key is the same path less .pub (default {NodeLayout.DefaultHostKey}).",
            DefaultValueFactory = _ => NodeLayout.DefaultHostKey,
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "Write the host certificate into this directory instead of beside the host key (and use it as the managed directory unless --dir is given).",
        };
        var dir = DirOption();
        var logins = new Option<string?>("--logins")
        {
            Description = "The logins that accept Custos certificates, comma-separated (default: every account of /etc/passwd with a login shell, and root).",
        };
        logins.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && NodeLogins.ParseList(text, out var error) is null) result.AddError(error);
        });
        var reload = new Option<string?>("--reload-command")
        {
            Description = "A shell command that reloads sshd (e.g. \"systemctl reload ssh\"), which sync runs when the host certificate changes.",
        };
        var sshdConfigOut = new Option<string?>("--sshd-config-out")
        {
            Description = "Also write the sshd_config lines to this file (e.g. /etc/ssh/sshd_config.d/custos.conf, which Debian's sshd_config includes); then reload sshd.",
        };
        var passwd = new Option<string?>("--passwd-file") { Description = "The passwd file the default logins come from.", Hidden = true };
        var command = new Command("join", "Enrol this node with a one-time join token: prove the host key, then write the sshd files and the host certificate.")
        {
            server, caFile, tokenFile, hostKey, outDir, dir, logins, reload, sshdConfigOut, passwd,
        };
        CommandContext.Bind(command, "custos node join", async (context, cancellationToken) =>
        {
            var serverUrl = ConnectionOptions.ParseServerUrl(context.Get(server)!, out var serverError) ?? throw CliException.Usage("--server: " + serverError);
            var tokenPath = context.Get(tokenFile)!;
            if (!File.Exists(tokenPath)) throw CliException.Usage($"--token-file: {tokenPath} does not exist");
            var token = SecretInput.ReadTokenFile(tokenPath, context.Error);
            var output = context.Get(outDir) is { } o ? Path.GetFullPath(o) : null;
            var layout = new NodeLayout(context.Get(dir) ?? output ?? NodeLayout.DefaultDirectory);
            using var key = NodeHostKey.Load(context.Get(hostKey)!);
            var certificatePath = NodeLayout.HostCertificatePath(key.PublicKeyFile, output);
            var explicitLogins = context.Get(logins) is { } list ? NodeLogins.ParseList(list, out _) : null;
            var passwdFile = context.Get(passwd) is { } p ? Path.GetFullPath(p) : null;
            var nodeLogins = explicitLogins ?? ReadPasswd(passwdFile ?? NodeState.DefaultPasswdFile, "--passwd-file");
            var trust = ServerTrust.FromCaFile(context.Get(caFile)!);
            var caBytes = File.ReadAllBytes(trust.CaFile!);
            var previous = File.Exists(layout.StateFile) ? NodeState.Load(layout.StateFile).Principals : [];
            // The token is spent by the join: make sure everything can be written before spending it.
            EnsureWritable(layout.Directory);
            EnsureWritable(layout.PrincipalsDirectory);
            EnsureWritable(Path.GetDirectoryName(certificatePath)!);
            var sshdConfigFile = context.Get(sshdConfigOut) is { } c ? Path.GetFullPath(c) : null;
            if (sshdConfigFile is not null) EnsureWritable(Path.GetDirectoryName(sshdConfigFile)!);

            NodeBundleResponse bundle;
            using (var client = new ApiClient(serverUrl, trust))
                bundle = await NodeEnrolment.JoinAsync(client, token, key, cancellationToken);
            NodeFiles.WriteIfChanged(layout.ServerCaFile, caBytes, NodeFiles.PublicMode);
            var changes = NodeBundleWriter.Apply(layout, certificatePath, bundle, nodeLogins, previous);
            var state = new NodeState(ConnectionSettings.Display(serverUrl), bundle.Node, key.PublicKeyFile, certificatePath,
                explicitLogins, context.Get(reload), bundle.KrlEtag, nodeLogins, passwdFile);
            state.Save(layout.StateFile);
            if (sshdConfigFile is not null)
                NodeFiles.WriteIfChanged(sshdConfigFile, System.Text.Encoding.UTF8.GetBytes(SshdConfigText.Build(bundle.Node, layout.Directory, key.PublicKeyFile, state.HostCertificate)), NodeFiles.PublicMode);
            await WriteJoinedAsync(context.Out, state, layout, key, bundle, changes, sshdConfigFile);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Sync()
    {
        var dir = DirOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Say what was checked even when nothing changed." };
        var command = new Command("sync",
            "Refresh the user CA keys, the KRL, the principals files and the host certificate (run it every few minutes from cron or a systemd timer).")
        {
            dir, verbose,
        };
        CommandContext.Bind(command, "custos node sync", async (context, cancellationToken) =>
        {
            var layout = new NodeLayout(context.Get(dir) ?? NodeLayout.DefaultDirectory);
            var state = NodeState.Load(layout.StateFile);
            using var key = AsIoError(() => NodeHostKey.Load(state.HostKey, "host_key in " + layout.StateFile));
            var logins = state.Logins ?? ReadPasswd(state.PasswdFile ?? NodeState.DefaultPasswdFile, "passwd_file in " + layout.StateFile);
            if (!File.Exists(layout.ServerCaFile))
                throw new CliException(ExitCodes.IoError, $"{layout.ServerCaFile} is missing: it pins the Custos server's certificate; run custos node join again");
            var trust = AsIoError(() => ServerTrust.FromCaFile(layout.ServerCaFile));
            var serverUrl = ConnectionOptions.ParseServerUrl(state.Server, out var serverError)
                ?? throw new CliException(ExitCodes.IoError, $"{layout.StateFile}: server: {serverError}");
            var current = File.Exists(state.HostCertificate) ? File.ReadAllText(state.HostCertificate).Trim() : null;

            NodeBundleResponse bundle;
            using (var client = new ApiClient(serverUrl, trust))
                bundle = await NodeEnrolment.SyncAsync(client, state.Node, key, string.IsNullOrEmpty(current) ? null : current, cancellationToken);
            if (!string.Equals(bundle.Node, state.Node, StringComparison.Ordinal))
                throw new CliException(ExitCodes.Failure, $"the server answered for node {bundle.Node}, but this node joined as {state.Node}; nothing was written");
            var changes = NodeBundleWriter.Apply(layout, state.HostCertificate, bundle, logins, state.Principals);
            if (bundle.KrlEtag != state.KrlEtag || !logins.SequenceEqual(state.Principals, StringComparer.Ordinal))
                (state with { KrlEtag = bundle.KrlEtag, Principals = logins }).Save(layout.StateFile);

            foreach (var path in changes.Written) await context.Out.WriteLineAsync("Updated " + path);
            foreach (var path in changes.Removed) await context.Out.WriteLineAsync("Removed " + path + " (no longer a login here)");
            if (!changes.Any && context.Get(verbose))
                await context.Out.WriteLineAsync($"Node {state.Node} is up to date (host certificate valid until {bundle.HostCertificateValidBefore}).");
            if (bundle.HostCertificateRenewed || changes.HostCertificateChanged)
                return await ReloadAsync(context, state, bundle, context.Get(verbose), cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The host certificate changed: sshd reads it only at start or reload.</summary>
    private static async Task<int> ReloadAsync(CommandContext context, NodeState state, NodeBundleResponse bundle, bool verbose, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(state.ReloadCommand))
        {
            await context.Out.WriteLineAsync($"The host certificate was renewed (valid until {bundle.HostCertificateValidBefore}): reload sshd so that it presents it.");
            return ExitCodes.Success;
        }
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(state.ReloadCommand);
        int exit;
        try
        {
            using var process = Process.Start(start) ?? throw new CliException(ExitCodes.Failure, "could not start /bin/sh for the reload command");
            await process.WaitForExitAsync(cancellationToken);
            exit = process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException(ExitCodes.Failure, $"could not run the reload command ({e.Message}); reload sshd by hand", e);
        }
        if (exit != 0)
            throw new CliException(ExitCodes.Failure, $"the reload command \"{state.ReloadCommand}\" exited with {exit}; sshd may still present the old host certificate");
        if (verbose)
            await context.Out.WriteLineAsync($"The host certificate was renewed; ran \"{state.ReloadCommand}\".");
        return ExitCodes.Success;
    }

    // What join reports as a bad flag is, for sync, a file on the node that went missing or bad: an I/O problem (exit 3).
    private static T AsIoError<T>(Func<T> load)
    {
        try
        {
            return load();
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.Usage)
        {
            throw new CliException(ExitCodes.IoError, e.Message, e);
        }
    }

    private static IReadOnlyList<string> ReadPasswd(string path, string what)
    {
        try
        {
            return NodeLogins.FromPasswd(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.IoError, $"{what}: cannot read {path} to find the logins ({e.Message}); pass --logins", e);
        }
    }

    /// <summary>Creates <paramref name="directory"/> (0755) if needed and checks a file can be created in it.</summary>
    private static void EnsureWritable(string directory)
    {
        try
        {
            NodeFiles.CreateDirectory(directory);
            var probe = SecureFiles.TempPathFor(Path.Combine(directory, "probe"));
            SecureFiles.WriteNew(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.IoError, $"cannot write in {directory} ({e.Message}); run custos node join as root, or choose --dir/--out; the join token was not used", e);
        }
    }

    private static async Task WriteJoinedAsync(TextWriter output, NodeState state, NodeLayout layout, NodeHostKey key, NodeBundleResponse bundle, NodeBundleWriter.Changes changes, string? sshdConfigFile)
    {
        await output.WriteLineAsync($"Joined {state.Server} as node {bundle.Node} (host key {key.PublicKey.GetFingerprint()}).");
        await output.WriteLineAsync($"Host certificate: {state.HostCertificate} (principals {Formats.List(bundle.HostPrincipals)}; valid until {bundle.HostCertificateValidBefore}).");
        await output.WriteLineAsync($"Logins that accept Custos certificates (principal LOGIN@{bundle.Node}): {Formats.List(state.Principals)}.");
        await output.WriteLineAsync($"Managed files in {layout.Directory}: user_ca.pub, revoked.krl, principals/, server-ca.crt, node.json" +
            (changes.Removed.Count > 0 ? $" ({changes.Removed.Count} stale principals file(s) removed)." : "."));
        await output.WriteLineAsync();
        await output.WriteLineAsync(sshdConfigFile is null
            ? "Add these lines to /etc/ssh/sshd_config (before any Match block), then reload sshd (e.g. systemctl reload ssh):"
            : $"Wrote these lines to {sshdConfigFile}; check with sshd -t, then reload sshd (e.g. systemctl reload ssh):");
        await output.WriteLineAsync();
        await output.WriteAsync(SshdConfigText.Build(bundle.Node, layout.Directory, key.PublicKeyFile, state.HostCertificate));
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Keep them current: run custos node sync{DirArgument(layout)} every {bundle.SyncInterval} or so (cron or a systemd timer; see docs/ssh-access.md).");
    }

    private static string DirArgument(NodeLayout layout) =>
        layout.Directory == NodeLayout.DefaultDirectory ? "" : " --dir " + Ssh.SshInvocation.ShellQuote(layout.Directory);
}
