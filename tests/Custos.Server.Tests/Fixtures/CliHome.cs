using System.Text.RegularExpressions;
using Custos.Core.Identity;
using Base32Encoding = OtpNet.Base32Encoding;

namespace Custos.Server.Tests.Fixtures;

/// <summary>One person's client state: <c>CUSTOS_HOME</c> (not created in advance: the CLI creates it 0700).</summary>
public sealed class CliHome(string root)
{
    public string Root { get; } = root;

    public string ProfileFile => Path.Combine(Root, "profile.json");

    public string TokenFile => Path.Combine(Root, "token");

    public string Token() => File.ReadAllText(TokenFile).Trim();

    /// <summary>Runs <c>custos</c> as this person, with <paramref name="stdin"/> as its standard input.</summary>
    public Task<CliResult> RunAsync(string stdin, IEnumerable<string> args) =>
        CustosCli.RunAsync(args, new Dictionary<string, string?> { ["CUSTOS_HOME"] = Root }, stdin);

    /// <summary>Runs <c>custos</c> as this person with nothing on standard input.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync("", args);
}

/// <summary>The TOTP secret and recovery codes an enrolment printed (custos admin bootstrap, custos invite accept).</summary>
public sealed partial record TotpEnrolment(string Secret, IReadOnlyList<string> RecoveryCodes)
{
    public static TotpEnrolment Parse(string output)
    {
        var secret = SecretLine().Match(output);
        Assert.True(secret.Success, "no TOTP secret in:\n" + output);
        var codes = output[output.IndexOf("Recovery codes", StringComparison.Ordinal)..]
            .Split('\n').Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        return new TotpEnrolment(secret.Groups[1].Value, codes);
    }

    /// <summary>The code for the current 30-second step (the server accepts one step either side).</summary>
    public string CodeNow() => Totp.CodeAt(Base32Encoding.ToBytes(Secret), Totp.StepAt(DateTimeOffset.UtcNow));

    [GeneratedRegex(@"(?m)^\s+secret:\s+([A-Z2-7]+)\s")]
    private static partial Regex SecretLine();
}
