using System.Diagnostics;
using System.Text.Json;
using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    /// <summary>Stdout parsed as one JSON document (commands run with <c>-o json</c>).</summary>
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs one-shot <c>custos</c> commands (audit verify, audit export, admin ...) to completion.</summary>
public static class CustosCli
{
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var (code, stdout, stderr) = await CustosProcess.RunAsync(args, environment, Timeouts.Command);
        return new CliResult(code, stdout, stderr);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    /// <summary>
    /// Runs a command with <paramref name="stdin"/> written to its standard input (then closed), for
    /// <c>--password-stdin</c>. Standard input is never a terminal here, so the command can ask nothing. The
    /// environment is the test's without any CUSTOS_ variable, plus <paramref name="environment"/>.
    /// </summary>
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment, string stdin)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(CustosProcess.CustosDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CUSTOS_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeouts.Command);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"custos {string.Join(' ', args)} did not finish within {Timeouts.Command}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>custos audit verify --database URL -o json</c> plus <paramref name="extra"/>.</summary>
    public static Task<CliResult> VerifyAsync(AuditDatabase database, params string[] extra) =>
        RunAsync(["audit", "verify", "--database", database.Url, "-o", "json", .. extra]);
}
