using System.CommandLine;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary>
/// <c>custos admin bootstrap</c> (the first administrator) and <c>custos invite accept</c> (every later user, and
/// password or MFA resets). Both print the TOTP enrolment and recovery codes once, to the user they belong to.
/// </summary>
public static class EnrollmentCommands
{
    public static Command Bootstrap()
    {
        var connection = new ConnectionOptions();
        var tokenFile = CommonOptions.TokenFile("one-time bootstrap token (DIR/bootstrap.token, written by custos serve)");
        var user = new Option<string>("--user") { Description = "The first administrator's user name.", Required = true };
        var passwordStdin = CommonOptions.PasswordStdin("Read the new password from the first line of standard input.");
        var displayName = new Option<string?>("--display-name") { Description = "The administrator's display name." };
        var email = new Option<string?>("--email") { Description = "The administrator's e-mail address." };
        var qrPng = QrPngOption();
        var command = new Command("bootstrap", "Create the first administrator with the one-time bootstrap token; prints the MFA enrolment.")
        {
            tokenFile, user, passwordStdin, displayName, email, qrPng,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin bootstrap", async (context, cancellationToken) =>
        {
            var profile = context.Home.LoadProfile();
            var settings = connection.Resolve(context.Parse, profile);
            var tokenPath = context.Get(tokenFile)!;
            // The server deletes the file when the bootstrap succeeds: its absence usually means that happened already.
            if (!File.Exists(tokenPath))
                throw new CliException(ExitCodes.Failure, $"{tokenPath} does not exist; custos serve deletes it once the first administrator is created, " +
                    "so this installation is probably bootstrapped already (log in, or recover an administrator with custos admin recover --data-dir DIR --user NAME); " +
                    "if no administrator exists, issue a new token with custos admin bootstrap-token --data-dir DIR");
            var token = SecretInput.ReadTokenFile(tokenPath, context.Error);
            var name = context.Get(user)!;
            var password = context.Get(passwordStdin)
                ? SecretInput.ReadLines(context.In, 1, "the new password")[0]
                : Prompts.ReadNewPassword("pass --password-stdin and write the password to standard input");
            var trust = settings.CreateTrust();
            using var client = CommandContext.OpenAnonymous(settings, trust);
            var enrollment = await client.SendAsync<EnrollmentResponse>(HttpMethod.Post, "v1/auth/bootstrap",
                new BootstrapRequest(token, name, password, context.Get(displayName), context.Get(email)), cancellationToken);
            context.Home.SaveProfile(settings.ToProfile(profile, trust, enrollment.User.Name));
            await context.Out.WriteLineAsync($"Created the administrator {enrollment.User.Name} on {settings.ServerText}.");
            WriteQrPng(context, enrollment, qrPng);
            Print(context.Out, enrollment, settings);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Invite()
    {
        var connection = new ConnectionOptions();
        var tokenFile = CommonOptions.TokenFile("invitation token your administrator gave you");
        var passwordStdin = CommonOptions.PasswordStdin("Read the password from standard input: the new one, or for an MFA reset (--mfa-reset) the current one.");
        var otp = new Option<string?>("--otp") { Description = "For a password reset: the current one-time code from your authenticator." };
        var mfaReset = new Option<bool>("--mfa-reset") { Description = "The invitation resets your MFA: confirm with your current password instead of setting a new one." };
        var qrPng = QrPngOption();
        var accept = new Command("accept", "Accept an invitation (or a password or MFA reset): set your password and enrol MFA.")
        {
            tokenFile, passwordStdin, otp, mfaReset, qrPng,
        };
        connection.AddTo(accept);
        CommandContext.Bind(accept, "custos invite accept", async (context, cancellationToken) =>
        {
            var profile = context.Home.LoadProfile();
            var settings = connection.Resolve(context.Parse, profile);
            var token = SecretInput.ReadTokenFile(context.Get(tokenFile)!, context.Error);
            var isMfaReset = context.Get(mfaReset);
            string secret;
            if (context.Get(passwordStdin))
                secret = SecretInput.ReadLines(context.In, 1, isMfaReset ? "the current password" : "the new password")[0];
            else if (isMfaReset)
                secret = Prompts.ReadSecret("Current password: ", "pass --password-stdin and write the current password to standard input");
            else
                secret = Prompts.ReadNewPassword("pass --password-stdin and write the new password to standard input");
            var code = context.Get(otp);
            var trust = settings.CreateTrust();
            using var client = CommandContext.OpenAnonymous(settings, trust);
            AcceptInvitationRequest Request() => isMfaReset
                ? new AcceptInvitationRequest(token, null, secret, code)
                : new AcceptInvitationRequest(token, secret, null, code);
            EnrollmentResponse enrollment;
            try
            {
                enrollment = await client.SendAsync<EnrollmentResponse>(HttpMethod.Post, "v1/invitations/accept", Request(), cancellationToken);
            }
            catch (ApiException e) when (e.Problem.Is(ApiProblem.MfaRequired) && code is null)
            {
                code = Prompts.ReadLine("One-time code: ", "pass --otp CODE (a password reset needs your current code)");
                enrollment = await client.SendAsync<EnrollmentResponse>(HttpMethod.Post, "v1/invitations/accept", Request(), cancellationToken);
            }
            context.Home.SaveProfile(settings.ToProfile(profile, trust, enrollment.User.Name));
            await context.Out.WriteLineAsync($"Invitation accepted for {enrollment.User.Name} on {settings.ServerText}.");
            WriteQrPng(context, enrollment, qrPng);
            Print(context.Out, enrollment, settings);
            return ExitCodes.Success;
        });
        return new Command("invite", "Invitations from an administrator.") { accept };
    }

    private static Option<string?> QrPngOption() =>
        new("--qr-png") { Description = "Also write the enrolment QR code as a PNG image to this file (created 0600)." };

    private static void WriteQrPng(CommandContext context, EnrollmentResponse enrollment, Option<string?> option)
    {
        if (context.Get(option) is not { } path) return;
        if (enrollment.Totp is null)
        {
            context.Error.WriteLine($"{context.Name}: no MFA enrolment was returned, so {path} was not written");
            return;
        }
        byte[] png;
        try
        {
            png = Convert.FromBase64String(enrollment.Totp.QrPngBase64);
        }
        catch (FormatException)
        {
            throw new CliException(ExitCodes.Failure, "the server's QR image is not base64; use the otpauth URI or the secret instead");
        }
        SecureFiles.WriteAtomic(path, png);
        context.Out.WriteLine($"QR code image written to {path}.");
    }

    /// <summary>The enrolment, shown once: TOTP (URI, secret, QR) and recovery codes, then how to confirm it.</summary>
    public static void Print(TextWriter output, EnrollmentResponse enrollment, ConnectionSettings settings)
    {
        if (enrollment.Totp is { } totp)
        {
            output.WriteLine();
            output.WriteLine("Add this account to your authenticator app (shown once; keep it private):");
            output.WriteLine($"  otpauth URI: {totp.OtpauthUri}");
            output.WriteLine($"  secret:      {totp.Secret}  ({totp.Algorithm}, {totp.Digits} digits, every {totp.Period} s)");
            output.WriteLine();
            output.Write(TerminalQr.Render(totp.OtpauthUri));
            output.WriteLine();
        }
        if (enrollment.RecoveryCodes is { Count: > 0 } codes)
        {
            output.WriteLine();
            output.WriteLine("Recovery codes (each works once when your authenticator is lost; store them offline):");
            foreach (var code in codes) output.WriteLine("  " + code);
        }
        output.WriteLine();
        var confirm = enrollment.Totp is null ? "Log in" : "Confirm the enrolment by logging in with a code from the app";
        output.WriteLine($"{confirm}:");
        output.WriteLine($"  custos login --server {settings.ServerText}{TrustFlags(settings)} --user {enrollment.User.Name}");
    }

    /// <summary>The trust flags that reproduce <paramref name="settings"/> on another command line.</summary>
    public static string TrustFlags(ConnectionSettings settings) =>
        settings.CaFile is not null ? $" --ca-file {settings.CaFile}" : settings.Fingerprint is not null ? $" --fingerprint {settings.Fingerprint}" : "";
}
