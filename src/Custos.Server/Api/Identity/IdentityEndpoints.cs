using Custos.Core.Identity;
using Custos.Core.Policy;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api.Identity;

/// <summary>
/// The identity API. Who may call what is endpoint metadata read by <see cref="ApiAuthentication"/>: anonymous
/// endpoints are listed in docs/authentication.md; every other /v1/ endpoint needs a session, and administrative ones
/// name the admin action the policy engine must allow (<c>users.read</c>, <c>users.write</c>, <c>sessions.revoke</c>, …).
/// </summary>
public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentity(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/v1/auth").WithTags("auth");
        auth.MapPost("/bootstrap", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<BootstrapRequest>(http, identity, (r, info) => identity.BootstrapAsync(r, info, ct), ct))
            .AllowAnonymousCaller().WithName("Bootstrap").Accepts<BootstrapRequest>("application/json").Produces<EnrollmentResponse>(201)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(409).WithSummary("Create the first administrator with the one-time bootstrap token.");
        auth.MapPost("/login", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<LoginRequest>(http, identity, (r, info) => identity.LoginAsync(r, info, ct), ct))
            .AllowAnonymousCaller().WithName("Login").Accepts<LoginRequest>("application/json").Produces<LoginResponse>()
            .ProducesProblem(401).ProducesProblem(403).ProducesProblem(429).WithSummary("Password and second factor: a session with a short-lived bearer token.");
        auth.MapPost("/logout", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.LogoutAsync(http.Principal(), Info(http, identity), ct))
            .RequireSession().WithName("Logout").Produces(204).WithSummary("Revoke the calling session.");
        auth.MapGet("/whoami", (HttpContext http, IdentityService identity, CancellationToken ct) => identity.WhoAmIAsync(http.Principal(), ct))
            .RequireSession().WithName("WhoAmI").Produces<WhoAmIResponse>().WithSummary("The caller, roles and session expiry.");
        auth.MapGet("/session", (HttpContext http) => Results.Ok(IdentityService.ToDto(http.Principal().Session, http.Principal().Identity, http.Principal().Session.Id)))
            .RequireSession().WithName("CurrentSession").Produces<SessionDto>()
            .WithSummary("The calling session (id, expiry, last MFA check), answered from the validated token without a database read.");
        auth.MapPost("/password", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<ChangePasswordRequest>(http, identity, (r, info) => identity.ChangePasswordAsync(http.Principal(), r, info, ct), ct))
            .RequireSession().WithName("ChangePassword").Accepts<ChangePasswordRequest>("application/json").Produces(204).ProducesProblem(400).ProducesProblem(403)
            .WithSummary("Change one's own password (other sessions are revoked).");
        auth.MapPost("/mfa/verify", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<StepUpRequest>(http, identity, (r, info) => identity.VerifyMfaAsync(http.Principal(), r, info, ct), ct))
            .RequireSession().WithName("VerifyMfa").Accepts<StepUpRequest>("application/json").Produces<SessionDto>().ProducesProblem(403)
            .WithSummary("Step-up: a fresh MFA check for sensitive administrative actions.");
        auth.MapPost("/recovery-codes", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.RegenerateRecoveryCodesAsync(http.Principal(), Info(http, identity), ct))
            .RequireSession().RequireRecentMfa().WithName("RegenerateRecoveryCodes").Produces<RecoveryCodesResponse>()
            .WithSummary("Replace one's recovery codes (needs a recent MFA check).");
        auth.MapGet("/sessions", (HttpContext http, IdentityService identity, CancellationToken ct) => identity.ListSessionsAsync(http.Principal(), null, false, ct))
            .RequireSession().WithName("ListOwnSessions").Produces<SessionListResponse>().WithSummary("The caller's active sessions.");
        auth.MapDelete("/sessions/{id}", (string id, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.RevokeSessionAsync(http.Principal(), id, anyUser: false, Info(http, identity), ct))
            .RequireSession().WithName("RevokeOwnSession").Produces(204).ProducesProblem(404).WithSummary("Revoke one of the caller's sessions.");

        app.MapPost("/v1/invitations/accept", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<AcceptInvitationRequest>(http, identity, (r, info) => identity.AcceptInvitationAsync(r, info, ct), ct))
            .AllowAnonymousCaller().WithTags("auth").WithName("AcceptInvitation").Accepts<AcceptInvitationRequest>("application/json").Produces<EnrollmentResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).WithSummary("Redeem an invitation: set a password and/or enrol MFA.");

        var users = app.MapGroup("/v1/users").WithTags("users");
        users.MapGet("", (string? kind, IdentityService identity, CancellationToken ct) => identity.ListUsersAsync(kind, ct))
            .RequireAction(PolicyActions.UsersRead).WithName("ListUsers").Produces<UserListResponse>().WithSummary("Users, bots and agents.");
        users.MapPost("", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<CreateUserRequest>(http, identity, (r, info) => identity.CreateUserAsync(http.Principal(), r, info, ct), ct))
            .RequireAction(PolicyActions.UsersWrite).WithName("CreateUser").Accepts<CreateUserRequest>("application/json").Produces<CreateUserResponse>(201).ProducesProblem(400).ProducesProblem(409)
            .WithSummary("Create a user; returns a one-time invitation.");
        users.MapGet("/{name}", (string name, IdentityService identity, CancellationToken ct) => identity.GetUserAsync(name, ct))
            .RequireAction(PolicyActions.UsersRead).WithName("GetUser").Produces<UserDto>().ProducesProblem(404);
        users.MapPatch("/{name}", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<UpdateUserRequest>(http, identity, (r, info) => identity.UpdateUserAsync(http.Principal(), name, r, info, ct), ct))
            .RequireAction(PolicyActions.UsersWrite).WithName("UpdateUser").Accepts<UpdateUserRequest>("application/json").Produces<UserDto>().ProducesProblem(409)
            .WithSummary("Change display name, e-mail, roles (needs a recent MFA check) or traits.");
        users.MapDelete("/{name}", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.DeleteUserAsync(http.Principal(), name, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("DeleteUser").Produces(204).ProducesProblem(409);
        users.MapPost("/{name}/suspend", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.SetStatusAsync(http.Principal(), name, IdentityStatus.Suspended, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("SuspendUser").Produces<UserDto>();
        users.MapPost("/{name}/resume", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.SetStatusAsync(http.Principal(), name, IdentityStatus.Active, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("ResumeUser").Produces<UserDto>();
        users.MapPost("/{name}/disable", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.SetStatusAsync(http.Principal(), name, IdentityStatus.Disabled, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("DisableUser").Produces<UserDto>();
        users.MapPost("/{name}/reset-mfa", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.ResetAsync(http.Principal(), name, InvitationPurpose.MfaReset, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("ResetUserMfa").Produces<InvitationDto>();
        users.MapPost("/{name}/reset-password", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.ResetAsync(http.Principal(), name, InvitationPurpose.PasswordReset, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("ResetUserPassword").Produces<InvitationDto>();
        users.MapPost("/{name}/unlock", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.UnlockAsync(http.Principal(), name, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("UnlockUser").Produces(204);

        var sessions = app.MapGroup("/v1/sessions").WithTags("sessions");
        sessions.MapGet("", (string? user, HttpContext http, IdentityService identity, CancellationToken ct) => identity.ListSessionsAsync(http.Principal(), user, true, ct))
            .RequireAction(PolicyActions.SessionsRead).WithName("ListSessions").Produces<SessionListResponse>();
        sessions.MapDelete("/{id}", (string id, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.RevokeSessionAsync(http.Principal(), id, anyUser: true, Info(http, identity), ct)).RequireAction(PolicyActions.SessionsRevoke).WithName("RevokeSession").Produces(204).ProducesProblem(404);

        var bots = app.MapGroup("/v1/bots").WithTags("bots");
        bots.MapPost("", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<CreateBotRequest>(http, identity, (r, info) => identity.CreateBotAsync(http.Principal(), r, info, ct), ct))
            .RequireAction(PolicyActions.UsersWrite).WithName("CreateBot").Accepts<CreateBotRequest>("application/json").Produces<CreateBotResponse>(201).ProducesProblem(409)
            .WithSummary("Create a bot or agent; returns a one-time join token.");
        bots.MapPost("/{name}/join-token", (string name, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.NewJoinTokenAsync(http.Principal(), name, Info(http, identity), ct)).RequireAction(PolicyActions.UsersWrite).WithName("NewBotJoinToken").Produces<InvitationDto>();
        bots.MapPost("/join", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<BotJoinRequest>(http, identity, (r, info) => identity.JoinBotAsync(r, info, ct), ct))
            .AllowAnonymousCaller().WithName("JoinBot").Accepts<BotJoinRequest>("application/json").Produces<BotCredentialResponse>().ProducesProblem(401)
            .WithSummary("Exchange a join token for short-lived credentials.");
        bots.MapPost("/renew", (HttpContext http, IdentityService identity, CancellationToken ct) =>
            WithBody<BotRenewRequest>(http, identity, (r, info) => identity.RenewBotAsync(r, info, ct), ct))
            .AllowAnonymousCaller().WithName("RenewBot").Accepts<BotRenewRequest>("application/json").Produces<BotCredentialResponse>().ProducesProblem(401)
            .WithSummary("Renew a bot credential (one generation at a time; reuse suspends the bot).");
        return app;
    }

    internal static RequestInfo Info(HttpContext http, IdentityService identity) => RequestInfo.From(http, identity.Options);

    internal static async Task<IResult> WithBody<T>(HttpContext http, IdentityService identity, Func<T, RequestInfo, Task<IResult>> handler, CancellationToken ct) where T : class
    {
        // Identity requests are small: at most 64 KiB, and never more than http.max_body_bytes.
        var (body, problem) = await JsonBody.ReadAsync<T>(http, Math.Min(64 * 1024, identity.MaxBodyBytes), ct);
        return problem ?? await handler(body!, Info(http, identity));
    }
}
