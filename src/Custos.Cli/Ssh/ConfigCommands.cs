using System.CommandLine;
using System.Globalization;
using System.Net;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Cli.Policy;
using Custos.Server.Api.Certificates;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Ssh;

/// <summary>
/// <c>custos config ssh</c>: configuration for other tools. It prints the ssh_config snippet
/// (<see cref="SshConfigSnippet"/>) for the SSH nodes the logged-in user can reach and writes the known_hosts it
/// points at, <c>$CUSTOS_HOME/known_hosts</c> (0644).
/// </summary>
public static class ConfigCommands
{
    public static Command Create() => new("config", "Configure other programs to go through Custos.") { Ssh() };

    private static Command Ssh()
    {
        var connection = new ConnectionOptions();
        var command = new Command("ssh",
            "Print an ssh_config snippet so that plain ssh NODE gets a fresh certificate and trusts the node through Custos; writes $CUSTOS_HOME/known_hosts.");
        connection.AddTo(command);
        CommandContext.Bind(command, "custos config ssh", async (context, cancellationToken) =>
        {
            var profile = context.Home.LoadProfile();
            using var client = context.OpenSession(connection);
            var reachable = await client.SendAsync<WhatCanResponse>(HttpMethod.Get, "v1/access/what-can", null, cancellationToken);
            var hostCa = await client.SendAsync<CaPublicKeysResponse>(HttpMethod.Get, "v1/ca/ssh/host", null, cancellationToken);

            var nodes = new List<SshConfigSnippet.Node>();
            foreach (var entry in reachable.Resources.Where(r => r.Kind == ResourceCommands.SshNode).OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                if (!SshConfigSnippet.IsUsableName(entry.Name))
                {
                    await context.Error.WriteLineAsync($"custos config ssh: skipping {entry.Name}: the name cannot be an ssh_config host pattern; use custos ssh for it");
                    continue;
                }
                nodes.Add(ToNode(entry));
            }

            var keys = SshKeyDirectory.For(context.Home, profile);
            keys.EnsureKeyPair(SshCommand.KeyComment(profile?.User ?? reachable.User, profile), out _);
            var knownHostsFile = Path.Combine(context.Home.Root, "known_hosts");
            var caNames = nodes.Where(n => n.TrustHostCa).Select(n => n.Name).ToList();
            SecureFiles.WriteAtomic(knownHostsFile, System.Text.Encoding.UTF8.GetBytes(SshConfigSnippet.KnownHosts(caNames, hostCa.Keys.Select(k => k.PublicKey).ToList())),
                SecureFiles.PublicFileMode);

            var settings = connection.Resolve(context.Parse, profile);
            await context.Out.WriteAsync(SshConfigSnippet.Build(new SshConfigSnippet.Input(reachable.User, settings.ServerText, nodes,
                keys.PrivateKeyFile, keys.CertificateFile, knownHostsFile, context.Home.Root, LocalPrograms.Self())));
            await context.Error.WriteLineAsync($"custos config ssh: {nodes.Count} node(s); wrote the host CA's known_hosts lines for {caNames.Count} of them to {knownHostsFile}.");
            return ExitCodes.Success;
        });
        return command;
    }

    // what-can carries each reachable node's address and host key trust, so no inventory access (resources.read) is needed.
    private static SshConfigSnippet.Node ToNode(ReachableResourceDto entry)
    {
        var (host, port) = entry.Address is { } address ? SplitAddress(address) : (null, 22);
        var login = entry.Logins is [var only] && SshConfigSnippet.IsUsableName(only) && !only.Contains('{', StringComparison.Ordinal) ? only : null;
        return new SshConfigSnippet.Node(entry.Name, host, port, entry.HostKeyFingerprint,
            TrustHostCa: entry.TrustHostCa || entry.HostKeyFingerprint is null,
            login, entry.Mode != PolicyFormats.Standing);
    }

    /// <summary><c>HOST:PORT</c> or <c>[V6]:PORT</c> (the inventory's form); port 22 when there is none.</summary>
    public static (string Host, int Port) SplitAddress(string address)
    {
        if (address.StartsWith('['))
        {
            var close = address.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                var rest = address[(close + 1)..];
                return (address[1..close], rest.StartsWith(':') && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var p6) ? p6 : 22);
            }
        }
        var colon = address.LastIndexOf(':');
        if (colon > 0 && address.IndexOf(':', StringComparison.Ordinal) == colon &&
            int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            return (address[..colon], port);
        return (address, 22);
    }
}
