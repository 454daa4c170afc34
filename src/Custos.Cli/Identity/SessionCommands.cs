using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Ssh;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary><c>custos login|logout|status|passwd</c> and <c>custos mfa verify</c>: the user's own session.</summary>
public static class SessionCommands
{
    public static Command Login()
    {
        var connection = new ConnectionOptions();
        var user = new Option<string?>("--user") { Description = "Your user name (defaults to the profile's)." };
        var passwordStdin = CommonOptions.PasswordStdin("Read the password from the first line of standard input.");
        var otp = CommonOptions.Otp();
        var command = new Command("login", "Log in to a Custos server; remembers the server in the profile and the session token in $CUSTOS_HOME/token, and keeps an SSH key pair for custos ssh in $CUSTOS_HOME/keys/PROFILE.")
        {
            user, passwordStdin, otp,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos login", async (context, cancellationToken) =>
        {
            var profile = context.Home.LoadProfile();
            var settings = connection.Resolve(context.Parse, profile);
            var name = context.Get(user) ?? profile?.User ?? throw CliException.Usage("no user: pass --user NAME");
            var password = context.Get(passwordStdin)
                ? SecretInput.ReadLines(context.In, 1, "the password")[0]
                : Prompts.ReadSecret($"Password for {name}: ", "pass --password-stdin and write the password to standard input");
            var code = context.Get(otp);
            var trust = settings.CreateTrust();
            using var client = CommandContext.OpenAnonymous(settings, trust);
            LoginResponse response;
            try
            {
                response = await client.SendAsync<LoginResponse>(HttpMethod.Post, "v1/auth/login", new LoginRequest(name, password, code, null), cancellationToken);
            }
            catch (ApiException e) when (e.Problem.Is(ApiProblem.MfaRequired) && code is null)
            {
                code = Prompts.ReadLine("One-time code: ", "pass --otp CODE");
                response = await client.SendAsync<LoginResponse>(HttpMethod.Post, "v1/auth/login", new LoginRequest(name, password, code, null), cancellationToken);
            }
            var saved = settings.ToProfile(profile, trust, response.User.Name);
            context.Home.SaveProfile(saved);
            context.Home.SaveToken(response.Token);
            await context.Out.WriteLineAsync($"Logged in to {settings.ServerText} as {response.User.Name} ({response.User.Kind}; roles: {Formats.List(response.User.Roles)}).");
            await context.Out.WriteLineAsync($"Session {response.Session.Id} expires at {response.Session.ExpiresAt}.");
            // The key pair for custos ssh: made once per profile and kept; only its public half is ever sent.
            var keys = SshKeyDirectory.For(context.Home, saved);
            keys.EnsureKeyPair(SshCommand.KeyComment(response.User.Name, saved), out var created);
            if (created) await context.Out.WriteLineAsync($"Generated your SSH key pair for custos ssh: {keys.PrivateKeyFile} (the private key stays on this machine).");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Logout()
    {
        var connection = new ConnectionOptions();
        var command = new Command("logout", "End the session on the server and delete the local token (deleted even when the server cannot be reached).");
        connection.AddTo(command);
        CommandContext.Bind(command, "custos logout", async (context, cancellationToken) =>
        {
            if (context.Home.LoadToken() is null)
            {
                await context.Out.WriteLineAsync("Not logged in.");
                return ExitCodes.Success;
            }
            string? failure = null;
            try
            {
                using var client = context.OpenSession(connection);
                await client.SendAsync(HttpMethod.Post, "v1/auth/logout", null, cancellationToken);
            }
            catch (ApiException e) when (e.SessionRejected)
            {
                // Already expired or revoked: nothing left to end on the server.
            }
            catch (Exception e) when (CommandContext.Describe(e) is { } described)
            {
                failure = described.Message;
            }
            context.Home.DeleteToken();
            if (failure is null)
            {
                await context.Out.WriteLineAsync("Logged out.");
                return ExitCodes.Success;
            }
            await context.Error.WriteLineAsync($"custos logout: the server was not told ({failure}); the local token is deleted, " +
                "but the session stays valid on the server until it expires (an administrator can revoke it: custos admin sessions revoke ID)");
            return ExitCodes.Failure;
        });
        return command;
    }

    public static Command Status()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("status", "Show who you are logged in as, your roles and your session.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos status", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (who, json) = await client.SendForJsonAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            var server = ConnectionSettings.Display(client.BaseAddress);
            var rows = new List<(string, string)>
            {
                ("server", server),
                ("user", who.User.DisplayName is { Length: > 0 } d ? $"{who.User.Name} ({d})" : who.User.Name),
                ("kind", who.User.Kind),
                ("roles", Formats.List(who.User.Roles)),
                ("session", who.Session.Id),
                ("expires", who.Session.ExpiresAt),
                ("mfa at", who.Session.MfaAt ?? "-"),
            };
            Formats.WriteFields(context.Out, rows);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Passwd()
    {
        var connection = new ConnectionOptions();
        var passwordStdin = CommonOptions.PasswordStdin("Read the current and the new password as two lines of standard input.");
        var otp = CommonOptions.Otp();
        var command = new Command("passwd", "Change your password (asks for the current one, the new one twice, and a one-time code).") { passwordStdin, otp };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos passwd", async (context, cancellationToken) =>
        {
            string current, next;
            var code = context.Get(otp);
            if (context.Get(passwordStdin))
            {
                var lines = SecretInput.ReadLines(context.In, 2, "the current and the new password");
                (current, next) = (lines[0], lines[1]);
            }
            else
            {
                const string instead = "pass --password-stdin with the current and new password on two lines";
                current = Prompts.ReadSecret("Current password: ", instead);
                next = Prompts.ReadNewPassword(instead);
                if (code is null)
                {
                    var typed = Prompts.ReadLine("One-time code (empty if you have no MFA yet): ", "pass --otp CODE");
                    code = typed.Length == 0 ? null : typed;
                }
            }
            using var client = context.OpenSession(connection);
            await client.SendAsync(HttpMethod.Post, "v1/auth/password", new ChangePasswordRequest(current, next, code), cancellationToken);
            await context.Out.WriteLineAsync("Password changed.");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Mfa()
    {
        var connection = new ConnectionOptions();
        var otp = CommonOptions.Otp();
        var verify = new Command("verify", "Confirm a fresh one-time code for this session (step-up MFA, needed by sensitive admin actions).") { otp };
        connection.AddTo(verify);
        CommandContext.Bind(verify, "custos mfa verify", async (context, cancellationToken) =>
        {
            var code = context.Get(otp) ?? Prompts.ReadLine("One-time code: ", "pass --otp CODE");
            if (code.Length == 0) throw CliException.Usage("no one-time code given");
            using var client = context.OpenSession(connection);
            var session = await client.SendAsync<SessionDto>(HttpMethod.Post, "v1/auth/mfa/verify", new StepUpRequest(code, null), cancellationToken);
            await context.Out.WriteLineAsync($"MFA confirmed at {session.MfaAt ?? "now"} for session {session.Id} (expires {session.ExpiresAt}).");
            return ExitCodes.Success;
        });
        return new Command("mfa", "Multi-factor authentication for your session.") { verify };
    }
}
