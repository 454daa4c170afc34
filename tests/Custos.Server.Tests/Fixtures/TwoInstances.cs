using System.Net;
using System.Security.Cryptography;
using Custos.Server.Api.Identity;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// Two <c>custos serve</c> processes on one PostgreSQL database, bootstrapped: <see cref="First"/> is the one that
/// issued the installation's bootstrap token; <see cref="OnFirst"/> and <see cref="OnOther"/> are API clients of each,
/// and <see cref="Login"/> an administrator session valid on both.
/// </summary>
public sealed class TwoInstances : IAsyncDisposable
{
    private TwoInstances(ServerProcess a, ServerProcess b, ServerProcess first, IdentityApi onFirst, IdentityApi onOther, string loginCode, LoginResponse login)
    {
        (A, B, First, OnFirst, OnOther, LoginCode, Login) = (a, b, first, onFirst, onOther, loginCode, login);
    }

    public ServerProcess A { get; }
    public ServerProcess B { get; }
    public ServerProcess First { get; }
    public IdentityApi OnFirst { get; }
    public IdentityApi OnOther { get; }
    /// <summary>The TOTP code the login used (a second use of it is a replay).</summary>
    public string LoginCode { get; }
    public LoginResponse Login { get; }

    /// <summary>Starts both, bootstraps the administrator on the first and logs in there with the current TOTP code.</summary>
    public static async Task<TwoInstances> StartAsync(string databaseUrl, string root, IDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>(settings) { ["CUSTOS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var a = ServerProcess.Start(Path.Combine(root, "a"), ["--database", databaseUrl], environment);
        var b = ServerProcess.Start(Path.Combine(root, "b"), ["--database", databaseUrl], environment);
        await Task.WhenAll(a.WaitReadyAsync(), b.WaitReadyAsync());
        // Exactly one of the two data directories holds the installation's bootstrap token.
        var first = File.Exists(Path.Combine(a.DataDir, "bootstrap.token")) ? a : b;
        var other = first == a ? b : a;
        var onFirst = new IdentityApi(first.CreateClient(), null);
        var onOther = new IdentityApi(other.CreateClient(), null);
        var token = (await File.ReadAllTextAsync(Path.Combine(first.DataDir, "bootstrap.token"))).Trim();
        var enrolment = (await onFirst.PostAsync("/v1/auth/bootstrap", new BootstrapRequest(token, "admin", ServerProcess.AdminPassword, null, null)))
            .Expect(HttpStatusCode.Created).As<EnrollmentResponse>();
        var code = new Authenticator(enrolment.Totp!.Secret).CodeAt(DateTimeOffset.UtcNow);
        var login = (await onFirst.PostAsync("/v1/auth/login", new LoginRequest("admin", ServerProcess.AdminPassword, code, null)))
            .Expect(HttpStatusCode.OK).As<LoginResponse>();
        return new TwoInstances(a, b, first, onFirst, onOther, code, login);
    }

    /// <summary>Stops both; their exit codes.</summary>
    public Task<int[]> StopAsync() => Task.WhenAll(A.StopAsync(), B.StopAsync());

    public async ValueTask DisposeAsync()
    {
        OnFirst.Dispose();
        OnOther.Dispose();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
