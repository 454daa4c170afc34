namespace Custos.Cli.Client;

/// <summary>Secrets come from files or standard input, never from arguments (where ps and shell history show them).</summary>
public static class SecretInput
{
    /// <summary>
    /// Reads a token file (a trailing newline is fine). A file that group or others can read still works, with a
    /// warning on <paramref name="warnings"/>.
    /// </summary>
    public static string ReadTokenFile(string path, TextWriter warnings, string option = "--token-file")
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.IoError, $"{option}: cannot read {path}: {e.Message}", e);
        }
        if (SecureFiles.IsExposed(path))
            warnings.WriteLine($"warning: {path} is accessible by group or others; a token file should be 0600 (chmod 600 {path})");
        var token = text.Trim();
        if (token.Length == 0) throw CliException.Usage($"{option}: {path} is empty");
        if (token.Contains('\n', StringComparison.Ordinal) || token.Contains(' ', StringComparison.Ordinal))
            throw CliException.Usage($"{option}: {path} holds more than one token");
        return token;
    }

    /// <summary>
    /// Reads <paramref name="count"/> lines from <paramref name="input"/> (for <c>--password-stdin</c>); each line is
    /// taken as it is, less its line ending, and must not be empty.
    /// </summary>
    public static IReadOnlyList<string> ReadLines(TextReader input, int count, string what)
    {
        var lines = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var line = input.ReadLine();
            if (line is null)
                throw CliException.Usage($"--password-stdin: expected {what} on standard input ({count} line{(count == 1 ? "" : "s")}), got {i}");
            if (line.Length == 0) throw CliException.Usage($"--password-stdin: line {i + 1} of standard input is empty");
            lines.Add(line);
        }
        return lines;
    }
}
