using System.CommandLine;

namespace Custos.Cli;

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int IoError = 3;
}

/// <summary>Parses and runs; usage errors exit with 2 and say what was wrong.</summary>
public static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync("custos: " + error.Message);
            await Console.Error.WriteLineAsync("Run with --help for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync();
    }
}
