using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Server.Api;
using Custos.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

/// <summary>
/// Authenticates and authorises every request to an endpoint under /v1/ from its metadata: anonymous endpoints pass;
/// all others need a valid bearer session (401 otherwise); an endpoint that names an admin action needs an allow from
/// the policy engine (403 with the engine's explanation otherwise); an endpoint that declares no rule is refused to
/// everyone; a sensitive endpoint also needs a recent MFA check. A presented but invalid token, and every 403, is audited.
/// </summary>
public sealed class ApiAuthentication(RequestDelegate next, SessionCache cache, CustosRuntime runtime, Policy.PolicyService policy, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint is null || !http.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        var level = endpoint.Metadata.GetMetadata<AccessMetadata>()?.Level;
        if (level == AccessLevel.Anonymous)
        {
            await next(http).ConfigureAwait(false);
            await AuditInvalidRequestAsync(http, null).ConfigureAwait(false);
            return;
        }

        var header = http.Request.Headers.Authorization.ToString();
        CustosPrincipal? principal = null;
        TokenRejection rejection;
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            rejection = header.Length == 0 ? TokenRejection.Missing : TokenRejection.Malformed;
        }
        else
        {
            var token = header.AsSpan(7).Trim();
            principal = cache.TryValidateCached(token, out rejection);
            if (principal is null && rejection == TokenRejection.None)
                (principal, rejection) = await cache.ValidateAsync(token.ToString(), http.RequestAborted).ConfigureAwait(false);
        }
        if (principal is null)
        {
            if (rejection != TokenRejection.Missing)
                await AuditAsync(http, "api.auth", new AuditActor("anonymous", "-", "-"), "token_" + Name(rejection)).ConfigureAwait(false);
            await Problems.Unauthorized("unauthenticated", "Authentication required", Detail(rejection)).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        http.Features.Set(principal);

        // Routing's own rejection endpoints (405 method not allowed, 415 unsupported media type) are not route
        // endpoints and carry no metadata: an authenticated caller gets their answer. Every mapped route declares a rule.
        if (level is null && endpoint is Microsoft.AspNetCore.Routing.RouteEndpoint)
        {
            await AuditAsync(http, "api.access", principal.Actor, "no_access_rule").ConfigureAwait(false);
            await Problems.Forbidden("forbidden", "Forbidden", "this endpoint declares no access rule and is refused to everyone").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        if (endpoint.Metadata.GetMetadata<ActionMetadata>() is { } required)
        {
            if (!policy.IsLoaded)
            {
                await Problems.Unavailable("the policy is not loaded yet; retry in a moment").ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            var decision = policy.Authorize(principal, required.Action, null, RequestInfo.From(http, runtime.Options.Identity).SourceIp);
            if (!decision.IsAllowed)
            {
                await AuditAsync(http, "api.access", principal.Actor, "policy_denied", new JsonObject
                {
                    ["action"] = required.Action,
                    ["explanation"] = decision.Explanation.Message,
                }).ConfigureAwait(false);
                await Problems.Forbidden("forbidden", "Forbidden", $"{required.Action} is not allowed: {decision.Explanation.Message}").ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
        }
        if (endpoint.Metadata.GetMetadata<RecentMfaMetadata>() is not null
            && !principal.HasRecentMfa(time.GetUtcNow(), runtime.Options.Identity.StepUpWindow))
        {
            await AuditAsync(http, "api.access", principal.Actor, "mfa_step_up_required").ConfigureAwait(false);
            await Problems.Forbidden("mfa-step-up-required", "Recent MFA required",
                $"this action needs an MFA check within the last {runtime.Options.Identity.StepUpWindow.TotalMinutes:0} minutes: run custos mfa verify, then retry").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        await next(http).ConfigureAwait(false);
        await AuditInvalidRequestAsync(http, principal).ConfigureAwait(false);
    }

    /// <summary>Malformed, oversized or mistyped requests to the API are recorded (who sent what kind of bad input where).</summary>
    private Task AuditInvalidRequestAsync(HttpContext http, CustosPrincipal? principal) =>
        http.Response.StatusCode is StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge or StatusCodes.Status415UnsupportedMediaType
            ? AuditAsync(http, "api.request.invalid", principal?.Actor ?? new AuditActor("anonymous", "-", "-"), "status_" + http.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : Task.CompletedTask;

    private async Task AuditAsync(HttpContext http, string type, AuditActor actor, string reason, JsonObject? details = null)
    {
        var info = RequestInfo.From(http, runtime.Options.Identity);
        // Refusals are recorded when the log is up; a refusal never waits on (or fails because of) a down log.
        if (runtime.Audit is not { } audit) return;
        try
        {
            await audit.AppendAsync(new AuditEntry(type, actor, AuditOutcome.Denied, http.Request.Method + " " + Clip(http.Request.Path.Value), reason,
                info.Source, info.RequestId, details ?? new JsonObject()), http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuditLogUnavailableException or OperationCanceledException)
        {
            // The request is refused either way.
        }
    }

    private static string Clip(string? path) => path is null ? "" : path.Length > 256 ? path[..256] : path;

    private static string Name(TokenRejection rejection) => rejection switch
    {
        TokenRejection.Malformed => "malformed",
        TokenRejection.Unknown => "unknown",
        TokenRejection.Expired => "expired",
        TokenRejection.Revoked => "revoked",
        TokenRejection.IdentityInactive => "identity_inactive",
        _ => "missing",
    };

    private static string Detail(TokenRejection rejection) => rejection switch
    {
        TokenRejection.Missing => "this endpoint needs a session: send Authorization: Bearer <token> (custos login)",
        TokenRejection.Malformed => "the Authorization header is not a Custos bearer token (Bearer cst_...)",
        TokenRejection.Expired => "the session has expired; log in again",
        TokenRejection.Revoked => "the session was revoked; log in again",
        TokenRejection.IdentityInactive => "the account is suspended or disabled",
        _ => "the session token is not valid; log in again",
    };
}

public static class ApiAuthenticationExtensions
{
    public static IApplicationBuilder UseCustosAuthentication(this IApplicationBuilder app) => app.UseMiddleware<ApiAuthentication>();
}
