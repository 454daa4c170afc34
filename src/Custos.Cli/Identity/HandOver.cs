using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary>
/// Hands a new invitation or join token to the administrator who asked for it: into a 0600 file with <c>--out</c>,
/// otherwise on standard output, with its expiry and the exact command the recipient runs.
/// </summary>
public static class HandOver
{
    public static void Print(TextWriter output, InvitationDto token, string? outFile, string recipient, Func<string, string> commandFor, ConnectionSettings settings)
    {
        var server = $"--server {settings.ServerText}{EnrollmentCommands.TrustFlags(settings)}";
        if (outFile is not null)
        {
            SecureFiles.WriteAtomic(outFile, token.Token + "\n");
            output.WriteLine($"The {Describe(token.Purpose)} for {recipient} (valid until {token.ExpiresAt}) is in {outFile}.");
            output.WriteLine("Give the file to them over a trusted channel; they run:");
            output.WriteLine("  " + commandFor($"{server} --token-file {outFile}"));
            return;
        }
        output.WriteLine($"The {Describe(token.Purpose)} for {recipient} (shown once; valid until {token.ExpiresAt}):");
        output.WriteLine(token.Token);
        output.WriteLine("Give it to them over a trusted channel; they save it in a file (say token.txt, mode 0600) and run:");
        output.WriteLine("  " + commandFor($"{server} --token-file token.txt"));
    }

    private static string Describe(string purpose) => purpose switch
    {
        "invite" => "invitation token",
        "password_reset" or "password-reset" => "password reset token",
        "mfa_reset" or "mfa-reset" => "MFA reset token",
        "recovery" => "recovery token",
        "bot_join" or "bot-join" or "join" => "join token",
        _ => $"{purpose} token",
    };
}
