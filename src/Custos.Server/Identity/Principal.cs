using Custos.Core.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

/// <summary>The authenticated caller of an API request: an identity and the session its bearer token belongs to.</summary>
public sealed record CustosPrincipal(IdentityRecord Identity, SessionRecord Session)
{
    public bool IsAdmin => Identity.IsAdmin;

    public Core.Audit.AuditActor Actor => new(Identity.Kind.ToName(), Identity.Id, Identity.Name);

    public bool HasRecentMfa(DateTimeOffset now, TimeSpan window) => Session.MfaAt is { } at && now - at <= window;
}

/// <summary>
/// Who may call an endpoint. Endpoints under /v1/ without this metadata are refused to everyone (fail closed): every
/// endpoint declares its rule.
/// </summary>
public enum AccessLevel
{
    /// <summary>No session: login, bootstrap, invitation accept, bot join and renew.</summary>
    Anonymous,

    /// <summary>Any valid session (and, with <see cref="ActionMetadata"/>, an allow from the policy engine).</summary>
    Session,
}

public sealed record AccessMetadata(AccessLevel Level);

/// <summary>The admin action (<c>users.write</c>, <c>audit.read</c>, …) the policy engine must allow the caller.</summary>
public sealed record ActionMetadata(string Action);

/// <summary>The endpoint is a sensitive administrative action: the session's last MFA check must be recent.</summary>
public sealed record RecentMfaMetadata;

public static class AccessMetadataExtensions
{
    public static TBuilder AllowAnonymousCaller<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessMetadata(AccessLevel.Anonymous));

    public static TBuilder RequireSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessMetadata(AccessLevel.Session));

    /// <summary>A session whose identity the policy engine allows <paramref name="action"/> (an admin action, no resource).</summary>
    public static TBuilder RequireAction<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder
    {
        if (!Core.Policy.PolicyActions.IsAdmin(action))
            throw new ArgumentException($"'{action}' is not an admin action", nameof(action));
        return builder.WithMetadata(new AccessMetadata(AccessLevel.Session), new ActionMetadata(action));
    }

    public static TBuilder RequireRecentMfa<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RecentMfaMetadata());

    /// <summary>The caller set by the authentication middleware (endpoints that require a session always have one).</summary>
    public static CustosPrincipal Principal(this HttpContext http) =>
        http.Features.Get<CustosPrincipal>() ?? throw new InvalidOperationException("no authenticated caller on this request");
}
