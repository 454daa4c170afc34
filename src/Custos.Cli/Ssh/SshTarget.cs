namespace Custos.Cli.Ssh;

/// <summary>
/// The <c>[login@]NODE</c> argument of <c>custos ssh</c>. As with ssh, the last '@' separates the login from the
/// node; without one, the login is left to the caller (Custos uses your Custos user name).
/// </summary>
public sealed record SshTarget(string? Login, string Node)
{
    public static bool TryParse(string text, out SshTarget target, out string error)
    {
        target = new SshTarget(null, "");
        error = "";
        var at = text.LastIndexOf('@');
        var login = at < 0 ? null : text[..at];
        var node = at < 0 ? text : text[(at + 1)..];
        if (login is { Length: 0 })
        {
            error = $"\"{text}\" has an empty login before '@'";
            return false;
        }
        if (node.Length == 0)
        {
            error = $"\"{text}\" names no node (expected [LOGIN@]NODE)";
            return false;
        }
        if (!IsPlain(node) || (login is not null && !IsPlain(login)))
        {
            error = $"\"{text}\" is not [LOGIN@]NODE (no spaces, control characters, '/', '\\' or a leading '-')";
            return false;
        }
        target = new SshTarget(login, node);
        return true;
    }

    // The server checks names; this only keeps out what could be read as an ssh option or change a URL or file path.
    private static bool IsPlain(string part) =>
        part[0] != '-' && !part.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '\\');
}
