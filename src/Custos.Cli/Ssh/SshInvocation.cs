using System.Globalization;
using System.Text;

namespace Custos.Cli.Ssh;

/// <summary>
/// The stock <c>ssh</c> command line for one certificate: only the profile's key and certificate are offered, and the
/// node's host key is trusted only through what Custos said about it (the generated known_hosts, or the registered
/// fingerprint checked by <c>custos ssh-host-key-check</c> as ssh's <c>KnownHostsCommand</c>), strictly.
/// </summary>
public sealed record SshInvocation(
    string SshPath,
    SshKeyDirectory Keys,
    string Login,
    string Host,
    int Port,
    string? RemoteCommand,
    HostKeyTrust Trust)
{
    public IReadOnlyList<string> Arguments()
    {
        var arguments = new List<string>
        {
            "-i", EscapePercent(Keys.PrivateKeyFile),
            "-o", "CertificateFile=" + ConfigValue(Keys.CertificateFile),
            "-o", "IdentitiesOnly=yes",
            "-o", "UserKnownHostsFile=" + ConfigValue(Keys.KnownHostsFile),
            // Only what Custos vouches for: not the system's known hosts, and nothing learnt or written back.
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UpdateHostKeys=no",
            "-o", "CheckHostIP=no",
        };
        if (Trust.Fingerprint is { } fingerprint)
            arguments.AddRange(["-o", "KnownHostsCommand=" + HostKeyCheckCommand(Trust.CheckerCommand, Trust.Node, fingerprint)]);
        arguments.AddRange(["-p", Port.ToString(CultureInfo.InvariantCulture), Login + "@" + Host]);
        if (RemoteCommand is not null) arguments.Add(RemoteCommand);
        return arguments;
    }

    /// <summary>The whole command as a POSIX shell would read it (<c>--print-only</c>).</summary>
    public string ToShellText() => string.Join(' ', new[] { SshPath }.Concat(Arguments()).Select(ShellQuote));

    /// <summary>
    /// ssh runs the command without a shell, splitting it as its configuration files are split, and expands %I (why it
    /// asks), %H (the host as known_hosts names it), %t and %K (the offered key's type and base64) in each argument.
    /// </summary>
    public static string HostKeyCheckCommand(IReadOnlyList<string> checker, string node, string fingerprint)
    {
        var words = new List<string>();
        words.Add(ConfigValue(checker[0], escapePercent: false));
        words.AddRange(checker.Skip(1).Select(a => ConfigValue(a)));
        words.AddRange([HostKeyCheck.CommandName, "--node", ConfigValue(node), "--fingerprint", ConfigValue(fingerprint), "%I", "%H", "%t", "%K"]);
        return string.Join(' ', words);
    }

    /// <summary>A value for an ssh <c>-o</c> option: '%' doubled (ssh expands tokens), quoted when it holds a space or quote.</summary>
    public static string ConfigValue(string value, bool escapePercent = true)
    {
        var text = escapePercent ? EscapePercent(value) : value;
        if (text.Length > 0 && !text.Any(c => c is ' ' or '\t' or '"' or '\'' or '\\' or '#')) return text;
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\') quoted.Append('\\');
            quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }

    public static string EscapePercent(string value) => value.Replace("%", "%%", StringComparison.Ordinal);

    public static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '@' or ',' or '+' or '%')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>
/// How ssh is to trust the node's host key besides the known_hosts file: with a registered <see cref="Fingerprint"/>,
/// through <see cref="CheckerCommand"/> (this executable, as ssh must run it) and <c>ssh-host-key-check</c>.
/// </summary>
public sealed record HostKeyTrust(string Node, string? Fingerprint, IReadOnlyList<string> CheckerCommand);
