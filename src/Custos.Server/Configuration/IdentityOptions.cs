using System.Net;

namespace Custos.Server.Configuration;

/// <summary>Login, session, MFA, lockout and WebAuthn settings (the <c>auth.*</c>, <c>webauthn.*</c> and <c>bots.*</c> keys).</summary>
public sealed record IdentityOptions
{
    /// <summary>Hard ceiling of any session's lifetime.</summary>
    public static readonly TimeSpan MaxSessionTtl = TimeSpan.FromHours(12);

    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromHours(8);
    public TimeSpan InvitationTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>When false, non-administrators may log in with a password alone. Administrators always need MFA.</summary>
    public bool MfaRequiredForUsers { get; init; } = true;

    /// <summary>How recent an MFA check must be for sensitive administrative actions.</summary>
    public TimeSpan StepUpWindow { get; init; } = TimeSpan.FromMinutes(5);

    public LockoutOptions Lockout { get; init; } = new();

    /// <summary>At most this many Argon2id computations at once (each takes 19 MiB); more wait up to <see cref="PasswordHashQueueTimeout"/>.</summary>
    public int PasswordHashConcurrency { get; init; } = Math.Max(2, Environment.ProcessorCount);
    public TimeSpan PasswordHashQueueTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A cached session is re-read from the database when older than this (roles changed on another instance).</summary>
    public TimeSpan SessionCacheMaxAge { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an instance polls for sessions revoked by other instances.</summary>
    public TimeSpan RevocationPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Proxies whose X-Forwarded-For header is believed (addresses or CIDR ranges).</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    public string WebAuthnRelyingPartyId { get; init; } = "localhost";
    public string WebAuthnRelyingPartyName { get; init; } = "Custos";

    /// <summary>Origins accepted in WebAuthn client data; empty means https://localhost:PORT of the listener.</summary>
    public IReadOnlyList<string> WebAuthnOrigins { get; init; } = [];

    public TimeSpan BotCredentialTtl { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan BotJoinTtl { get; init; } = TimeSpan.FromHours(24);
}

/// <summary>
/// Failures counted per key within <see cref="Window"/>; reaching a threshold locks that key for
/// <see cref="BaseDuration"/>, doubling with each consecutive lockout up to <see cref="MaxDuration"/>.
/// </summary>
public sealed record LockoutOptions
{
    /// <summary>Failures of one user from one source address.</summary>
    public int UserSourceThreshold { get; init; } = 5;

    /// <summary>Failures of one user from all sources (does not apply to sources the user logged in from recently).</summary>
    public int UserThreshold { get; init; } = 20;

    /// <summary>Failures from one source address for any users.</summary>
    public int SourceThreshold { get; init; } = 50;

    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan BaseDuration { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A source the user logged in from within this period is exempt from the user-wide lockout.</summary>
    public TimeSpan KnownSourceTtl { get; init; } = TimeSpan.FromDays(30);
}
