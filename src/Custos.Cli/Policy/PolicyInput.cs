using Custos.Cli.Identity;

namespace Custos.Cli.Policy;

/// <summary>Documents given as a file name, or <c>-</c> for standard input (<c>roles create -f -</c>).</summary>
public static class PolicyInput
{
    public const string StandardInput = "-";

    /// <summary>The whole document; a missing or unreadable file is an I/O error (exit 3) that names it.</summary>
    public static async Task<string> ReadAsync(CommandContext context, string path, CancellationToken cancellationToken)
    {
        if (path == StandardInput) return await context.In.ReadToEndAsync(cancellationToken);
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IOException($"{path}: no such file", e);
        }
    }

    /// <summary>How messages name the input.</summary>
    public static string Describe(string path) => path == StandardInput ? "standard input" : path;
}
