using System.Reflection;

namespace Custos.Cli.Ssh;

/// <summary>Where the programs that <c>custos ssh</c> runs are: the stock ssh on PATH, and this executable itself.</summary>
public static class LocalPrograms
{
    /// <summary>The first executable file named <paramref name="name"/> in <c>PATH</c>, or null.</summary>
    public static string? FindOnPath(string name, string? path = null)
    {
        foreach (var directory in (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return Path.GetFullPath(candidate);
        }
        return null;
    }

    /// <summary>
    /// How to run this <c>custos</c> again, with absolute paths (ssh refuses a relative <c>KnownHostsCommand</c>): the
    /// executable itself, or <c>dotnet custos.dll</c> when it runs through the dotnet host.
    /// </summary>
    public static IReadOnlyList<string> Self()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the running executable is unknown");
        if (!string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.Ordinal)) return [process];
        var entry = Assembly.GetEntryAssembly()?.Location;
        return string.IsNullOrEmpty(entry) ? [process] : [process, entry];
    }
}
