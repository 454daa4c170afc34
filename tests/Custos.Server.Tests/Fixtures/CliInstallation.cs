using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// The set-up steps the end-to-end installations share, done as a person would, with the real <c>custos</c>
/// executable: a <c>custos serve</c> whose first administrator is bootstrapped and logged in (each person in their
/// own $CUSTOS_HOME), roles created from documents, and users invited with roles who accept and log in (which makes
/// their SSH key pair).
/// </summary>
public sealed class CliInstallation(TempDirectory root, ServerProcess server, CliHome admin)
{
    public ServerProcess Server { get; } = server;

    public CliHome Admin { get; } = admin;

    public string[] Connect => ["--server", Server.BaseUrl, "--ca-file", Server.CertificateFile];

    /// <summary>Starts the server in ROOT/data (step-up window one hour) and bootstraps and logs in <c>admin</c>.</summary>
    public static async Task<CliInstallation> StartAsync(TempDirectory root, string adminPassword)
    {
        var dataDir = root.Combine("data");
        var server = await ServerProcess.StartReadyAsync(dataDir, environment: new Dictionary<string, string?> { ["CUSTOS_AUTH__STEP_UP_WINDOW"] = "1h" });
        try
        {
            var installation = new CliInstallation(root, server, new CliHome(root.Combine("admin-home")));
            var bootstrap = Succeeded(await installation.Admin.RunAsync(adminPassword + "\n",
                ["admin", "bootstrap", .. installation.Connect, "--token-file", Path.Combine(dataDir, "bootstrap.token"), "--user", "admin", "--password-stdin"]));
            Succeeded(await installation.Admin.RunAsync(adminPassword + "\n",
                ["login", .. installation.Connect, "--user", "admin", "--password-stdin", "--otp", TotpEnrolment.Parse(bootstrap.Stdout).CodeNow()]));
            return installation;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task CreateRoleAsync(string name, string document)
    {
        var file = root.Combine(name + ".yaml");
        await File.WriteAllTextAsync(file, document);
        Succeeded(await Admin.RunAsync("admin", "roles", "create", "-f", file));
    }

    /// <summary>Invites NAME with ROLES, accepts the invitation in NAME's own home and logs in (which makes the key pair).</summary>
    public async Task<CliHome> EnrolAsync(string name, string roles)
    {
        // Passwords may not contain the user name.
        var password = $"end to end passphrase {name.Length * 7} for the tests {roles.Length}";
        var invitation = root.Combine(name + ".invitation");
        Succeeded(await Admin.RunAsync("admin", "users", "add", name, "--roles", roles, "--out", invitation));
        var home = new CliHome(root.Combine(name + "-home"));
        var accepted = Succeeded(await home.RunAsync(password + "\n", ["invite", "accept", .. Connect, "--token-file", invitation, "--password-stdin"]));
        Succeeded(await home.RunAsync(password + "\n", ["login", .. Connect, "--user", name, "--password-stdin", "--otp", TotpEnrolment.Parse(accepted.Stdout).CodeNow()]));
        return home;
    }

    public static CliResult Succeeded(CliResult result) =>
        result.ExitCode == 0 ? result : throw new InvalidOperationException("setting up the installation failed: " + result);
}
