using Custos.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api.Identity;

/// <summary>
/// WebAuthn/FIDO2 as a second factor (docs/webauthn.md): registering authenticators, password + WebAuthn login, and
/// WebAuthn step-up. Each ceremony is a begin call (options and a sealed challenge token) and a finish call.
/// </summary>
public static class WebAuthnEndpoints
{
    public static IEndpointRouteBuilder MapWebAuthn(this IEndpointRouteBuilder app)
    {
        var webauthn = app.MapGroup("/v1/auth/webauthn").WithTags("auth");
        webauthn.MapPost("/register/begin", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            IdentityEndpoints.WithBody<WebAuthnRegisterBeginRequest>(http, identity, (r, _) => identity.BeginWebAuthnRegistrationAsync(http.Principal(), r, service, ct), ct))
            .RequireSession().RequireRecentMfa().WithName("BeginWebAuthnRegistration").Accepts<WebAuthnRegisterBeginRequest>("application/json")
            .Produces<WebAuthnBeginResponse>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(409)
            .WithSummary("Start registering an authenticator (needs a recent MFA check): credential creation options and a challenge token.");
        webauthn.MapPost("/register/finish", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            IdentityEndpoints.WithBody<WebAuthnRegisterFinishRequest>(http, identity, (r, info) => identity.FinishWebAuthnRegistrationAsync(http.Principal(), r, service, info, ct), ct))
            .RequireSession().WithName("FinishWebAuthnRegistration").Accepts<WebAuthnRegisterFinishRequest>("application/json")
            .Produces<WebAuthnCredentialDto>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(409)
            .WithSummary("Finish registering: the authenticator's attestation for the challenge token.");
        webauthn.MapGet("/credentials", (HttpContext http, IdentityService identity, CancellationToken ct) => identity.ListWebAuthnCredentialsAsync(http.Principal(), ct))
            .RequireSession().WithName("ListWebAuthnCredentials").Produces<WebAuthnCredentialListResponse>().WithSummary("The caller's registered authenticators.");
        webauthn.MapDelete("/credentials/{id}", (string id, HttpContext http, IdentityService identity, CancellationToken ct) =>
            identity.DeleteWebAuthnCredentialAsync(http.Principal(), id, IdentityEndpoints.Info(http, identity), ct))
            .RequireSession().RequireRecentMfa().WithName("DeleteWebAuthnCredential").Produces(204).ProducesProblem(404)
            .WithSummary("Remove one of the caller's authenticators (needs a recent MFA check).");
        webauthn.MapPost("/login/begin", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            IdentityEndpoints.WithBody<WebAuthnLoginBeginRequest>(http, identity, (r, info) => identity.BeginWebAuthnLoginAsync(r, service, info, ct), ct))
            .AllowAnonymousCaller().WithName("BeginWebAuthnLogin").Accepts<WebAuthnLoginBeginRequest>("application/json")
            .Produces<WebAuthnBeginResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(429)
            .WithSummary("Password (as /v1/auth/login checks it), then assertion options for the user's authenticators.");
        webauthn.MapPost("/login/finish", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            IdentityEndpoints.WithBody<WebAuthnAssertionFinishRequest>(http, identity, (r, info) => identity.FinishWebAuthnLoginAsync(r, service, info, ct), ct))
            .AllowAnonymousCaller().WithName("FinishWebAuthnLogin").Accepts<WebAuthnAssertionFinishRequest>("application/json")
            .Produces<LoginResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(429)
            .WithSummary("The authenticator's assertion for the challenge token: a session, as password + TOTP login gives.");

        var mfa = app.MapGroup("/v1/auth/mfa/webauthn").WithTags("auth");
        mfa.MapPost("/begin", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            identity.BeginWebAuthnStepUpAsync(http.Principal(), service, ct))
            .RequireSession().WithName("BeginWebAuthnStepUp").Produces<WebAuthnBeginResponse>().ProducesProblem(403)
            .WithSummary("Step-up with an authenticator: assertion options and a challenge token.");
        mfa.MapPost("/finish", (HttpContext http, IdentityService identity, WebAuthnService service, CancellationToken ct) =>
            IdentityEndpoints.WithBody<WebAuthnAssertionFinishRequest>(http, identity, (r, info) => identity.FinishWebAuthnStepUpAsync(http.Principal(), r, service, info, ct), ct))
            .RequireSession().WithName("FinishWebAuthnStepUp").Accepts<WebAuthnAssertionFinishRequest>("application/json")
            .Produces<SessionDto>().ProducesProblem(400).ProducesProblem(403)
            .WithSummary("Finish the step-up: the session's MFA time is now, as after /v1/auth/mfa/verify.");
        return app;
    }
}
