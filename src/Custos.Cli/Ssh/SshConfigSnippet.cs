using System.Globalization;
using System.Text;

namespace Custos.Cli.Ssh;

/// <summary>
/// The <c>ssh_config</c> text of <c>custos config ssh</c>, which lets plain <c>ssh NODE</c> (and scp, rsync, git…) use
/// Custos: one <c>Host NODE</c> block per node with its address, the profile's key and certificate only, and host key
/// trust only through Custos (the host CA's <c>@cert-authority</c> lines for the node's name, via
/// <c>HostKeyAlias NODE</c>, or the registered fingerprint via <c>KnownHostsCommand</c>), strictly; then one
/// <c>Match originalhost NODES exec "custos ssh --print-only %r@%n"</c> that gets a fresh certificate for exactly that
/// login and node before each connection (ssh discards the command's output; its errors show).
/// </summary>
public static class SshConfigSnippet
{
    /// <summary>One node as the snippet needs it. <see cref="Host"/> is null when the inventory could not be read.</summary>
    public sealed record Node(string Name, string? Host, int Port, string? HostKeyFingerprint, bool TrustHostCa, string? Login, bool NeedsRequest);

    /// <summary>Everything the text depends on; paths absolute.</summary>
    public sealed record Input(
        string User,
        string Server,
        IReadOnlyList<Node> Nodes,
        string PrivateKeyFile,
        string CertificateFile,
        string KnownHostsFile,
        string CustosHome,
        IReadOnlyList<string> Custos);

    /// <summary>True when <paramref name="name"/> can be an ssh_config host pattern as it is (no wildcard, negation, list or quote).</summary>
    public static bool IsUsableName(string name) =>
        name.Length > 0 && name[0] != '-' && !name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '*' or '?' or '!' or ',' or '"' or '\'' or '%' or '#' or '\\');

    /// <summary>The <c>known_hosts</c> text: each host CA key trusted for exactly these names (never a wildcard).</summary>
    public static string KnownHosts(IReadOnlyList<string> names, IReadOnlyList<string> hostCaKeys)
    {
        if (names.Count == 0) return "";
        var patterns = string.Join(',', names);
        return string.Concat(hostCaKeys.Select(k => $"@cert-authority {patterns} {k.Trim()}\n"));
    }

    public static string Build(Input input)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            # Custos: plain ssh to the nodes {input.User} can reach on {input.Server} (written by custos config ssh).
            # Put it before any "Host *" block (ssh takes the first value it reads), e.g. save it as ~/.ssh/custos.conf and add
            # "Include ~/.ssh/custos.conf" at the top of ~/.ssh/config. Run custos config ssh again when the nodes change or a
            # host CA rotation starts. Every connection first gets a fresh certificate (custos ssh --print-only).

            """);
        if (input.Nodes.Count == 0)
        {
            text.Append("# (no SSH node is reachable for you now)\n");
            return text.ToString();
        }
        foreach (var node in input.Nodes)
        {
            text.Append('\n');
            if (node.NeedsRequest) text.Append("# Needs an approved request first (custos ls shows which role to request).\n");
            if (node.Host is null) text.Append("# The address is unknown to you (no resources.read): ssh resolves the name itself.\n");
            text.Append(CultureInfo.InvariantCulture, $"Host {node.Name}\n");
            if (node.Host is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"    HostName {node.Host}\n");
                text.Append(CultureInfo.InvariantCulture, $"    Port {node.Port}\n");
            }
            if (node.Login is not null) text.Append(CultureInfo.InvariantCulture, $"    User {node.Login}\n");
            text.Append(CultureInfo.InvariantCulture, $"    HostKeyAlias {node.Name}\n");
            text.Append(CultureInfo.InvariantCulture, $"    IdentityFile {SshInvocation.ConfigValue(input.PrivateKeyFile)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    CertificateFile {SshInvocation.ConfigValue(input.CertificateFile)}\n");
            text.Append("    IdentitiesOnly yes\n");
            text.Append(CultureInfo.InvariantCulture, $"    UserKnownHostsFile {SshInvocation.ConfigValue(input.KnownHostsFile)}\n");
            text.Append("    GlobalKnownHostsFile /dev/null\n");
            if (node.HostKeyFingerprint is { } fingerprint)
                text.Append(CultureInfo.InvariantCulture, $"    KnownHostsCommand {SshInvocation.HostKeyCheckCommand(input.Custos, node.Name, fingerprint)}\n");
            text.Append("    StrictHostKeyChecking yes\n");
            text.Append("    UpdateHostKeys no\n");
            text.Append("    CheckHostIP no\n");
        }
        text.Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"Match originalhost {string.Join(',', input.Nodes.Select(n => n.Name))} exec {RefreshCommand(input)}\n");
        text.Append("Match all\n");
        return text.ToString();
    }

    /// <summary>
    /// The <c>exec</c> argument: run by ssh through the user's shell, so each word is quoted for a POSIX shell, '%'
    /// doubled where it is not a token, and the whole quoted once more for ssh_config. <c>env</c> pins
    /// <c>CUSTOS_HOME</c>, so the same profile is used whatever the environment ssh runs in.
    /// </summary>
    public static string RefreshCommand(Input input)
    {
        var words = new List<string> { "/usr/bin/env", "CUSTOS_HOME=" + input.CustosHome };
        words.AddRange(input.Custos);
        var shell = string.Join(' ', words.Select(w => SshInvocation.EscapePercent(SshInvocation.ShellQuote(w))))
            + " ssh --print-only %r@%n";
        return "\"" + shell.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
