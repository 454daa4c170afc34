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

    /// <summary><c>custos audit verify --database URL -o json</c> plus <paramref name="extra"/>.</summary>
    public static Task<CliResult> VerifyAsync(AuditDatabase database, params string[] extra) =>
        RunAsync(["audit", "verify", "--database", database.Url, "-o", "json", .. extra]);
}
