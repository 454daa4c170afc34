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

/// <summary>Who may call an endpoint. Endpoints under /v1/ without this metadata are administrator-only (fail closed).</summary>
public enum AccessLevel
{
    /// <summary>No session: login, bootstrap, invitation accept, bot join and renew.</summary>
    Anonymous,

    /// <summary>Any valid session.</summary>
    Session,

    /// <summary>A session of an identity with the admin role.</summary>
    Admin,
}

public sealed record AccessMetadata(AccessLevel Level);

/// <summary>The endpoint is a sensitive administrative action: the session's last MFA check must be recent.</summary>
public sealed record RecentMfaMetadata;

public static class AccessMetadataExtensions
{
    public static TBuilder AllowAnonymousCaller<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessMetadata(AccessLevel.Anonymous));

    public static TBuilder RequireSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessMetadata(AccessLevel.Session));

    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessMetadata(AccessLevel.Admin));

    public static TBuilder RequireRecentMfa<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RecentMfaMetadata());

    /// <summary>The caller set by the authentication middleware (endpoints that require a session always have one).</summary>
    public static CustosPrincipal Principal(this HttpContext http) =>
        http.Features.Get<CustosPrincipal>() ?? throw new InvalidOperationException("no authenticated caller on this request");
}
