using System.Diagnostics;

namespace Custos.Testing.OpenSsh;

/// <summary>The result of one run of an OpenSSH program.</summary>
public sealed record OpenSshResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the stock OpenSSH programs (ssh, ssh-keygen) to completion, without a shell and without a terminal.</summary>
public static class OpenSshProgram
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<OpenSshResult> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program} (scripts/test.sh installs OpenSSH)");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {Timeout}");
        }
        return new OpenSshResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Generates an Ed25519 key pair without a passphrase at <paramref name="path"/> and returns its SHA-256 fingerprint.</summary>
    public static async Task<string> GenerateKeyAsync(string path, string comment)
    {
        var generated = await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path);
        if (generated.ExitCode != 0) throw new InvalidOperationException("ssh-keygen failed: " + generated);
        return await FingerprintAsync(path + ".pub");
    }

    /// <summary>The SHA-256 fingerprint that <c>ssh-keygen -lf</c> shows for a public key file.</summary>
    public static async Task<string> FingerprintAsync(string publicKeyFile)
    {
        var listed = await RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", publicKeyFile);
        if (listed.ExitCode != 0) throw new InvalidOperationException("ssh-keygen -l failed: " + listed);
        return listed.Stdout.Split(' ')[1];
    }
}
