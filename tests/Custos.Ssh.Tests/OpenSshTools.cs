using System.Diagnostics;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Custos.Ssh.Tests;

/// <summary>Runs the real OpenSSH tools. Missing tools fail the test: the golden tests never skip.</summary>
internal static class OpenSshTools
{
    public const string SshKeygen = "/usr/bin/ssh-keygen";
    public const string Ssh = "/usr/bin/ssh";
    public const string Sshd = "/usr/sbin/sshd";

    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string tool, params string[] arguments) => RunWithInput(tool, null, arguments);

    public static Result RunWithInput(string tool, string? input, params string[] arguments)
    {
        Assert.True(File.Exists(tool), $"{tool} is required by the golden tests (scripts/test.sh installs OpenSSH).");
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', arguments)} did not finish in 60 s.");
        }

        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs ssh-keygen and fails the test with its stderr when it exits non-zero.</summary>
    public static string Keygen(params string[] arguments)
    {
        Result result = Run(SshKeygen, arguments);
        Assert.True(result.ExitCode == 0, $"ssh-keygen {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Error}");
        return result.Output;
    }
}

/// <summary>A temporary directory deleted at the end of the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("custos-ssh-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file with mode 0600, as ssh and ssh-keygen require for private keys.</summary>
    public string Write(string name, string content)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, content);
        System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
