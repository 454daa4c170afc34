using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// One <c>custos serve</c> with two people who use it through the real <c>custos</c> executable, each in their own
/// $CUSTOS_HOME: the first administrator (bootstrapped and logged in) and alice (invited with the trait
/// team=payments, enrolled and logged in, not an administrator). The step-up window is an hour, so that role changes
/// late in a slow run still count as "recent MFA" after the login.
/// </summary>
public sealed class PolicyCliInstallation : IAsyncLifetime
{
    public const string AdminPassword = "policy operator passphrase 5 custos";
    public const string AlicePassword = "payments developer passphrase 8 q";

    private readonly TempDirectory _root = new("custos-policy-cli");
    private readonly Dictionary<string, Task> _once = new(StringComparer.Ordinal);
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public CliHome Admin { get; private set; } = null!;

    public CliHome Alice { get; private set; } = null!;

    /// <summary>A fresh path in the fixture's directory for a test's files.</summary>
    public string File(string name) => _root.Combine(name);

    public async ValueTask InitializeAsync()
    {
        var dataDir = _root.Combine("data");
        _server = await ServerProcess.StartReadyAsync(dataDir, environment: new Dictionary<string, string?> { ["CUSTOS_AUTH__STEP_UP_WINDOW"] = "1h" });
        string[] connect = ["--server", Server.BaseUrl, "--ca-file", Server.CertificateFile];

        Admin = new CliHome(_root.Combine("admin-home"));
        var bootstrap = Succeeded(await Admin.RunAsync(AdminPassword + "\n",
            ["admin", "bootstrap", .. connect, "--token-file", Path.Combine(dataDir, "bootstrap.token"), "--user", "admin", "--password-stdin"]));
        var adminEnrolment = TotpEnrolment.Parse(bootstrap.Stdout);
        Succeeded(await Admin.RunAsync(AdminPassword + "\n", ["login", .. connect, "--user", "admin", "--password-stdin", "--otp", adminEnrolment.CodeNow()]));

        var invitation = _root.Combine("alice.invitation");
        Succeeded(await Admin.RunAsync("admin", "users", "add", "alice", "--trait", "team=payments", "--roles", "user", "--out", invitation));
        Alice = new CliHome(_root.Combine("alice-home"));
        var accepted = Succeeded(await Alice.RunAsync(AlicePassword + "\n", ["invite", "accept", .. connect, "--token-file", invitation, "--password-stdin"]));
        var aliceEnrolment = TotpEnrolment.Parse(accepted.Stdout);
        Succeeded(await Alice.RunAsync(AlicePassword + "\n", ["login", .. connect, "--user", "alice", "--password-stdin", "--otp", aliceEnrolment.CodeNow()]));
    }

    /// <summary>
    /// Runs <paramref name="setUp"/> the first time <paramref name="key"/> is asked for; later calls wait for that run
    /// (and fail the same way if it failed). For set-ups that several tests share, in whatever order they run.
    /// </summary>
    public Task OnceAsync(string key, Func<Task> setUp)
    {
        lock (_once)
        {
            if (!_once.TryGetValue(key, out var task)) _once[key] = task = setUp();
            return task;
        }
    }

    private static CliResult Succeeded(CliResult result) =>
        result.ExitCode == 0 ? result : throw new InvalidOperationException("setting up the installation failed: " + result);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _root.Dispose();
    }
}
