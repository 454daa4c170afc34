using System.Text;

namespace Custos.Cli.Client;

/// <summary>
/// Questions to the person at the terminal, on standard error so standard output stays clean. Secrets are read
/// key by key without echo. Without a terminal nothing is asked: the caller is told which flag to use instead.
/// </summary>
public static class Prompts
{
    /// <summary>True when standard input is a terminal (someone can answer).</summary>
    public static bool IsInteractive => !Console.IsInputRedirected;

    /// <summary>Reads a secret without echo; <paramref name="instead"/> names the non-interactive way to give it.</summary>
    public static string ReadSecret(string prompt, string instead)
    {
        RequireTerminal(prompt, instead);
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    /// <summary>Reads a new password twice; they must match and not be empty.</summary>
    public static string ReadNewPassword(string instead)
    {
        var first = ReadSecret("New password: ", instead);
        if (first.Length == 0) throw new CliException(ExitCodes.Failure, "the password is empty");
        var second = ReadSecret("New password again: ", instead);
        if (!string.Equals(first, second, StringComparison.Ordinal)) throw new CliException(ExitCodes.Failure, "the two passwords differ");
        return first;
    }

    /// <summary>Reads a visible line (a one-time code, a name).</summary>
    public static string ReadLine(string prompt, string instead)
    {
        RequireTerminal(prompt, instead);
        Console.Error.Write(prompt);
        return (Console.ReadLine() ?? "").Trim();
    }

    /// <summary>Asks a yes/no question whose default is no.</summary>
    public static bool Confirm(string question, string instead)
    {
        RequireTerminal(question, instead);
        Console.Error.Write(question + " [y/N] ");
        var answer = (Console.ReadLine() ?? "").Trim();
        return answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase);
    }

    private static void RequireTerminal(string prompt, string instead)
    {
        if (!IsInteractive)
            throw CliException.Usage($"no terminal to ask \"{prompt.Trim().TrimEnd(':', '?')}\": {instead}");
    }
}
