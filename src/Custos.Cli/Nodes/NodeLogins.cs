using System.Text.RegularExpressions;

namespace Custos.Cli.Nodes;

/// <summary>
/// Which logins of a node accept Custos certificates: the <c>--logins</c> list, or every account of the passwd file
/// that can log in (its shell is not a <c>nologin</c> or <c>false</c>), and root. Each gets one principals file, so a
/// name must be safe as a file name and as an sshd <c>%u</c>.
/// </summary>
public static partial class NodeLogins
{
    public const string Root = "root";

    /// <summary>A portable Unix user name (as useradd accepts by default, plus upper case): no '/', no leading '-' or '.'.</summary>
    public static bool IsValid(string login) => LoginPattern().IsMatch(login);

    /// <summary>
    /// Parses <c>--logins a,b</c>: trimmed, empty entries dropped, duplicates removed, sorted. An invalid name is
    /// reported in <paramref name="error"/>.
    /// </summary>
    public static IReadOnlyList<string>? ParseList(string text, out string error)
    {
        error = "";
        var logins = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (logins.Length == 0)
        {
            error = "--logins: give at least one login, e.g. --logins root,deploy";
            return null;
        }
        foreach (var login in logins)
        {
            if (IsValid(login)) continue;
            error = $"--logins: \"{login}\" is not a Unix user name (letters, digits, '_', '.', '-', not starting with '-' or '.', at most 32 characters)";
            return null;
        }
        return Sorted(logins);
    }

    /// <summary>
    /// The accounts of a passwd file (<c>name:x:uid:gid:gecos:home:shell</c>) whose shell lets them log in, and root.
    /// Comments, blank lines, NIS <c>+</c>/<c>-</c> entries and names that are not valid logins are skipped. An empty
    /// shell field means <c>/bin/sh</c>, which can log in.
    /// </summary>
    public static IReadOnlyList<string> FromPasswd(string passwdText)
    {
        var logins = new List<string> { Root };
        foreach (var raw in passwdText.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var fields = line.Split(':');
            if (fields.Length < 7 || !IsValid(fields[0])) continue;
            if (CanLogIn(fields[6].Trim())) logins.Add(fields[0]);
        }
        return Sorted(logins);
    }

    /// <summary>False for the shells that refuse a login: <c>nologin</c> and <c>false</c>, wherever they are installed.</summary>
    public static bool CanLogIn(string shell)
    {
        var name = shell.Length == 0 ? "sh" : Path.GetFileName(shell);
        return name is not ("nologin" or "false");
    }

    private static List<string> Sorted(IEnumerable<string> logins) =>
        logins.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex LoginPattern();
}
