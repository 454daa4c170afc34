using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>A bootstrapped installation: a running server, its administrator logged in, and helpers to add users.</summary>
public sealed class IdentityScenario : IAsyncDisposable
{
    public const string AdminPassword = "correct horse battery staple 7";
    public const string UserPassword = "a long and unusual passphrase 42";

    private IdentityScenario(InProcessServer server) => Server = server;

    public InProcessServer Server { get; }

    public IdentityApi Admin { get; private set; } = null!;

    public Authenticator AdminTotp { get; private set; } = null!;

    public EnrollmentResponse AdminEnrollment { get; private set; } = null!;

    public DateTimeOffset Now => Server.Time.GetUtcNow();

    public static async Task<IdentityScenario> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var scenario = new IdentityScenario(await InProcessServer.StartAsync(settings));
        using var anonymous = scenario.Server.Api();
        var enrollment = (await anonymous.PostAsync("/v1/auth/bootstrap", new BootstrapRequest(scenario.Server.BootstrapToken, "admin", AdminPassword, "The Admin", null)))
            .Expect(HttpStatusCode.Created).As<EnrollmentResponse>();
        scenario.AdminEnrollment = enrollment;
        scenario.AdminTotp = new Authenticator(enrollment.Totp!.Secret);
        var login = (await anonymous.PostAsync("/v1/auth/login", new LoginRequest("admin", AdminPassword, scenario.AdminTotp.CodeAt(scenario.Now), null)))
            .Expect(HttpStatusCode.OK).As<LoginResponse>();
        scenario.Admin = scenario.Server.Api(login.Token);
        return scenario;
    }

    /// <summary>Moves the clock to the next TOTP step (a code is accepted once per step).</summary>
    public void NextStep() => Server.Time.Advance(TimeSpan.FromSeconds(30));

    /// <summary>Creates a user through the admin API, accepts the invitation, and returns their authenticator.</summary>
    public async Task<Authenticator> AddUserAsync(string name, string[]? roles = null)
    {
        var created = (await Admin.PostAsync("/v1/users", new CreateUserRequest(name, null, $"{name}@example.com", roles, null, null)))
            .Expect(HttpStatusCode.Created).As<CreateUserResponse>();
        using var anonymous = Server.Api();
        var enrolment = (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, UserPassword, null, null)))
            .Expect(HttpStatusCode.OK).As<EnrollmentResponse>();
        return new Authenticator(enrolment.Totp!.Secret);
    }

    /// <summary>Logs a user in with a code for the current step (advancing a step first so the code is fresh).</summary>
    public async Task<IdentityApi> LoginAsync(string name, Authenticator totp, string? password = null)
    {
        NextStep();
        var api = Server.Api();
        var login = (await api.PostAsync("/v1/auth/login", new LoginRequest(name, password ?? UserPassword, totp.CodeAt(Now), null)))
            .Expect(HttpStatusCode.OK).As<LoginResponse>();
        api.Token = login.Token;
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        await Server.DisposeAsync();
    }
}
