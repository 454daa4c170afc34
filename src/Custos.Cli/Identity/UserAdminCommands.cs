using System.CommandLine;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;

namespace Custos.Cli.Identity;

/// <summary><c>custos admin users ...</c>: people, bots and agents through the identity API (an admin session).</summary>
public static class UserAdminCommands
{
    public static Command Create() => new("users", "Manage users, bots and agents (needs an administrator session).")
    {
        Add(), List(), Show(),
        StatusChange("suspend", "Suspend NAME: sessions end and logins are refused until resumed.", "suspended"),
        StatusChange("resume", "Resume a suspended NAME.", "resumed"),
        StatusChange("disable", "Disable NAME for good (kept for the audit trail).", "disabled"),
        Remove(),
        Reset("reset-mfa", "Issue an MFA reset invitation for NAME (they confirm with their password and enrol again).", "reset-mfa", mfaReset: true),
        Reset("reset-password", "Issue a password reset invitation for NAME (they confirm with a one-time code).", "reset-password", mfaReset: false),
        Unlock(), SetRoles(), SetTraits(),
    };

    private static Command Add()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The new user's name.");
        var traits = CommonOptions.Traits();
        var email = new Option<string?>("--email") { Description = "E-mail address." };
        var roles = RolesOption();
        var displayName = new Option<string?>("--display-name") { Description = "Display name." };
        var ttl = CommonOptions.Duration("--invitation-ttl", "How long the invitation is valid (e.g. 24h; the server's default otherwise).");
        var outFile = CommonOptions.OutFile("invitation token");
        var command = new Command("add", "Create a user and an invitation for them (the token is shown once).")
        {
            name, traits, email, roles, displayName, ttl, outFile,
        };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users add", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var request = new CreateUserRequest(context.Get(name)!, context.Get(displayName), context.Get(email),
                context.Get(roles) is { } r ? CommonOptions.SplitRoles(r) : null, CommonOptions.ToTraits(context.Get(traits)), context.Get(ttl));
            var created = await client.SendAsync<CreateUserResponse>(HttpMethod.Post, "v1/users", request, cancellationToken);
            await context.Out.WriteLineAsync($"Created {created.User.Kind} {created.User.Name} (status {created.User.Status}; roles: {Formats.List(created.User.Roles)}).");
            HandOver.Print(context.Out, created.Invitation, context.Get(outFile), created.User.Name,
                flags => $"custos invite accept {flags} --password-stdin", connection.Resolve(context.Parse, context.Home.LoadProfile()));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var kind = new Option<string?>("--kind") { Description = "Only this kind: user, bot or agent." };
        kind.AcceptOnlyFromAmong("user", "bot", "agent");
        var output = CommonOptions.Output();
        var command = new Command("ls", "List identities.") { kind, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users ls", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var path = context.Get(kind) is { } k ? "v1/users?kind=" + Uri.EscapeDataString(k) : "v1/users";
            var (list, json) = await client.SendForJsonAsync<UserListResponse>(HttpMethod.Get, path, null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["NAME", "KIND", "STATUS", "ROLES", "MFA", "LAST LOGIN"],
                list.Users.Select(u => (IReadOnlyList<string>)[u.Name, u.Kind, u.LockedUntil is null ? u.Status : u.Status + " (locked)",
                    Formats.List(u.Roles), u.MfaEnrolled ? "yes" : "no", u.LastLoginAt ?? "-"]).ToList());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The identity to show.");
        var output = CommonOptions.Output();
        var command = new Command("show", "Show one identity.") { name, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users show", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (user, json) = await client.SendForJsonAsync<UserDto>(HttpMethod.Get, UserPath(context.Get(name)!), null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else WriteUser(context.Out, user);
            return ExitCodes.Success;
        });
        return command;
    }

    public static void WriteUser(TextWriter output, UserDto user) => Formats.WriteFields(output,
    [
        ("name", user.Name),
        ("id", user.Id),
        ("display name", user.DisplayName ?? "-"),
        ("email", user.Email ?? "-"),
        ("kind", user.Kind),
        ("status", user.Status),
        ("locked until", user.LockedUntil ?? "-"),
        ("roles", Formats.List(user.Roles)),
        ("traits", Formats.Traits(user.Traits)),
        ("mfa", user.MfaEnrolled ? $"TOTP enrolled; {user.WebauthnCredentials} WebAuthn credential(s)" : $"not enrolled; {user.WebauthnCredentials} WebAuthn credential(s)"),
        ("created", user.CreatedAt),
        ("last login", user.LastLoginAt ?? "-"),
        ("revision", user.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ]);

    private static Command StatusChange(string verb, string description, string done)
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The identity.");
        var command = new Command(verb, description) { name };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users " + verb, async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var user = await client.SendAsync<UserDto>(HttpMethod.Post, UserPath(context.Get(name)!) + "/" + verb, null, cancellationToken);
            await context.Out.WriteLineAsync($"{user.Name}: {done} (status {user.Status}).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The identity to delete.");
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation (required without a terminal)." };
        var command = new Command("rm", "Delete an identity and end its sessions.") { name, yes };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users rm", async (context, cancellationToken) =>
        {
            var target = context.Get(name)!;
            if (!context.Get(yes) && !Prompts.Confirm($"Delete {target} and end their sessions?", "pass --yes to delete without a terminal"))
            {
                await context.Error.WriteLineAsync("custos admin users rm: not deleted");
                return ExitCodes.Failure;
            }
            using var client = context.OpenSession(connection);
            await client.SendAsync(HttpMethod.Delete, UserPath(target), null, cancellationToken);
            await context.Out.WriteLineAsync($"{target}: deleted.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Reset(string verb, string description, string route, bool mfaReset)
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The user.");
        var outFile = CommonOptions.OutFile("reset token");
        var command = new Command(verb, description) { name, outFile };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users " + verb, async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var target = context.Get(name)!;
            var invitation = await client.SendAsync<InvitationDto>(HttpMethod.Post, UserPath(target) + "/" + route, null, cancellationToken);
            var accept = mfaReset
                ? (Func<string, string>)(flags => $"custos invite accept {flags} --mfa-reset --password-stdin")
                : flags => $"custos invite accept {flags} --password-stdin --otp CODE";
            HandOver.Print(context.Out, invitation, context.Get(outFile), target, accept, connection.Resolve(context.Parse, context.Home.LoadProfile()));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Unlock()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The user locked out by failed logins.");
        var command = new Command("unlock", "Lift a lockout after failed logins.") { name };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users unlock", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var target = context.Get(name)!;
            await client.SendAsync(HttpMethod.Post, UserPath(target) + "/unlock", null, cancellationToken);
            await context.Out.WriteLineAsync($"{target}: unlocked.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SetRoles()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The identity.");
        var roles = new Argument<string>("ROLES") { Description = "The complete new role list, comma-separated (\"\" for none)." };
        roles.Validators.Add(result => CommonOptions.ValidateRoles(result, result.Tokens, "ROLES"));
        var command = new Command("set-roles", "Replace an identity's roles.") { name, roles };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users set-roles", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var user = await client.SendAsync<UserDto>(HttpMethod.Patch, UserPath(context.Get(name)!),
                new UpdateUserRequest(null, null, CommonOptions.SplitRoles(context.Get(roles)), null, null), cancellationToken);
            await context.Out.WriteLineAsync($"{user.Name}: roles {Formats.List(user.Roles)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SetTraits()
    {
        var connection = new ConnectionOptions();
        var name = CommonOptions.Name("The identity.");
        var traits = CommonOptions.Traits();
        traits.Required = true;
        var command = new Command("set-traits", "Replace an identity's traits (all of them: give every trait to keep).") { name, traits };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin users set-traits", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var user = await client.SendAsync<UserDto>(HttpMethod.Patch, UserPath(context.Get(name)!),
                new UpdateUserRequest(null, null, null, CommonOptions.ToTraits(context.Get(traits)), null), cancellationToken);
            await context.Out.WriteLineAsync($"{user.Name}: traits {Formats.Traits(user.Traits)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Option<string?> RolesOption(bool required = false)
    {
        var option = new Option<string?>("--roles") { Description = "Roles, comma-separated.", Required = required };
        option.Validators.Add(result => CommonOptions.ValidateRoles(result, result.Tokens, "--roles"));
        return option;
    }

    public static string UserPath(string name) => "v1/users/" + Uri.EscapeDataString(name);
}
