using System.CommandLine;
using System.Diagnostics;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Ssh;

/// <summary>
/// <c>custos ssh [LOGIN@]NODE [-- COMMAND...]</c>: asks the server for a certificate for the profile's key, scoped to
/// exactly that node and login (and command), and runs the stock ssh with it. ssh's exit code is the command's.
/// </summary>
public static class SshCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var target = new Argument<string>("[LOGIN@]NODE") { Description = "The node, and the login on it (default: your Custos user name)." };
        target.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && !SshTarget.TryParse(text, out _, out var error)) result.AddError(error);
        });
        var remote = new Argument<string[]>("COMMAND")
        {
            Description = "A command to run instead of a shell (after --); the certificate then forces exactly this command.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var ttl = CommonOptions.Duration("--ttl", "Ask for a certificate valid this long, e.g. 2m (the server's default and the role's max_ttl cap it).");
        var printOnly = new Option<bool>("--print-only") { Description = "Get the certificate, then print the ssh command instead of running it." };
        var command = new Command("ssh", "Connect to a node with a short-lived certificate signed for exactly this node and login.")
        {
            target, remote, ttl, printOnly,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos ssh", async (context, cancellationToken) =>
        {
            if (!SshTarget.TryParse(context.Get(target)!, out var parsed, out var targetError)) throw CliException.Usage(targetError);
            var profile = context.Home.LoadProfile();
            var login = parsed.Login ?? profile?.User ?? throw CliException.Usage("no login: write LOGIN@NODE (custos login remembers your user name, the default)");
            var words = context.Get(remote) ?? [];
            var remoteCommand = words.Length == 0 ? null : string.Join(' ', words);
            var print = context.Get(printOnly);
            var ssh = LocalPrograms.FindOnPath("ssh")
                ?? (print ? "ssh" : throw new CliException(ExitCodes.Failure, "the OpenSSH client (ssh) is not on PATH; install it (Debian: apt-get install openssh-client)"));

            SshCertificateResponse issued;
            var keys = SshKeyDirectory.For(context.Home, profile);
            using (var client = context.OpenSession(connection))
            {
                // Normally made by custos login already; made here for a session that predates it.
                var publicKey = keys.EnsureKeyPair(KeyComment(profile?.User ?? login, profile), out _);
                var request = new SshCertificateRequest(publicKey.ToText(), parsed.Node, login, remoteCommand, context.Get(ttl));
                issued = await client.SendAsync<SshCertificateResponse>(HttpMethod.Post, "v1/certs/ssh", request, cancellationToken);
            }
            if (issued.KnownHosts.Count == 0 && issued.HostKeyFingerprint is null)
            {
                throw new CliException(ExitCodes.Failure, $"the server said nothing about how to recognise {issued.Node}'s host key " +
                    "(no known_hosts lines, no registered fingerprint); refusing to connect to an unverified host");
            }
            keys.WriteCertificate(issued.Certificate);
            keys.WriteKnownHosts(issued.KnownHosts);
            var invocation = new SshInvocation(ssh, keys, login, issued.Host, issued.Port, remoteCommand,
                new HostKeyTrust(issued.Node, issued.HostKeyFingerprint, LocalPrograms.Self()));
            if (print)
            {
                await context.Out.WriteLineAsync(invocation.ToShellText());
                return ExitCodes.Success;
            }
            return await RunAsync(invocation);
        });
        return command;
    }

    /// <summary>The comment in the key files, naming whose key it is and for which profile.</summary>
    public static string KeyComment(string user, Profile? profile) => $"{user}@custos-{profile?.Name ?? Profile.DefaultName}";

    // ssh inherits the terminal (standard input, output and error) and owns it until it exits; Ctrl-C goes to it too.
    private static async Task<int> RunAsync(SshInvocation invocation)
    {
        var start = new ProcessStartInfo(invocation.SshPath) { UseShellExecute = false };
        foreach (var argument in invocation.Arguments()) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start) ?? throw new CliException(ExitCodes.Failure, $"could not start {invocation.SshPath}");
            await process.WaitForExitAsync(CancellationToken.None);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException(ExitCodes.Failure, $"could not start {invocation.SshPath}: {e.Message}", e);
        }
    }
}
