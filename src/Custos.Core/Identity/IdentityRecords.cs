using Custos.Core.Crypto;

namespace Custos.Core.Identity;

/// <summary>What an identity is: a person, a CI/CD machine, or an AI agent.</summary>
public enum IdentityKind
{
    User,
    Bot,
    Agent,
}

/// <summary>
/// <c>active</c> may log in; <c>suspended</c> is a temporary stop (an administrator resumes it; stolen bot credentials
/// suspend automatically); <c>disabled</c> is permanent until an administrator resumes it explicitly.
/// </summary>
public enum IdentityStatus
{
    Active,
    Suspended,
    Disabled,
}

/// <summary>Stored and wire names of the identity enums (lowercase).</summary>
public static class IdentityNames
{
    public static string ToName(this IdentityKind kind) => kind switch
    {
        IdentityKind.User => "user",
        IdentityKind.Bot => "bot",
        IdentityKind.Agent => "agent",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string ToName(this IdentityStatus status) => status switch
    {
        IdentityStatus.Active => "active",
        IdentityStatus.Suspended => "suspended",
        IdentityStatus.Disabled => "disabled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParseKind(string? name, out IdentityKind kind)
    {
        switch (name)
        {
            case "user": kind = IdentityKind.User; return true;
            case "bot": kind = IdentityKind.Bot; return true;
            case "agent": kind = IdentityKind.Agent; return true;
            default: kind = default; return false;
        }
    }

    public static bool TryParseStatus(string? name, out IdentityStatus status)
    {
        switch (name)
        {
            case "active": status = IdentityStatus.Active; return true;
            case "suspended": status = IdentityStatus.Suspended; return true;
            case "disabled": status = IdentityStatus.Disabled; return true;
            default: status = default; return false;
        }
    }

    public static bool IsHuman(this IdentityKind kind) => kind == IdentityKind.User;
}

/// <summary>
/// Role names the identity flows know: the first administrator gets <see cref="Admin"/> (and holders of it must use MFA
/// and cannot all be removed); new people get <see cref="User"/> when no roles are given. What the roles allow is in
/// their documents (Custos.Core.Policy.BuiltInRoleDocuments), editable like any other role.
/// </summary>
public static class BuiltInRoles
{
    public const string Admin = "admin";
    public const string User = "user";
}

/// <summary>
/// An identity as stored. <see cref="Name"/> is the NFKC-normalised name as the user wrote it;
/// <see cref="NameKey"/> its case-folded form, unique across identities. <see cref="Revision"/> increases on every
/// update (optimistic concurrency).
/// </summary>
public sealed record IdentityRecord(
    string Id,
    string Name,
    string NameKey,
    string? DisplayName,
    string? Email,
    IdentityKind Kind,
    IdentityStatus Status,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Traits,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastLoginAt,
    long Revision)
{
    public bool IsAdmin => Roles.Contains(BuiltInRoles.Admin, StringComparer.Ordinal);
}

/// <summary>A password hash in PHC string format (<c>$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH</c>), so parameters travel with it.</summary>
public sealed record PasswordCredential(string UserId, string Hash, DateTimeOffset ChangedAt);

/// <summary>
/// A TOTP secret, sealed under the master key (name <c>totp:USER_ID</c>). <see cref="LastUsedStep"/> is the newest
/// 30-second step a code was accepted for: a code is accepted only for a later step, so it is never accepted twice.
/// </summary>
public sealed record TotpCredential(string UserId, SealedSecret Secret, bool Confirmed, long LastUsedStep, DateTimeOffset CreatedAt);

/// <summary>A one-time recovery code; only its hash is stored.</summary>
public sealed record RecoveryCodeRecord(string UserId, string Id, byte[] CodeHash, DateTimeOffset CreatedAt, DateTimeOffset? UsedAt);

/// <summary>A registered WebAuthn/FIDO2 authenticator.</summary>
public sealed record WebAuthnCredentialRecord(
    byte[] CredentialId,
    string UserId,
    byte[] PublicKey,
    uint SignCount,
    Guid Aaguid,
    string Name,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt);

/// <summary>How a session was created.</summary>
public enum SessionKind
{
    /// <summary>Password + MFA login.</summary>
    Login,

    /// <summary>A bot or agent credential (join or renewal).</summary>
    Bot,
}

/// <summary>
/// A session: the bearer token is stored only as SHA-256. <see cref="MfaAt"/> is the last MFA check in this
/// session (login or step-up), which sensitive administrative actions require to be recent.
/// </summary>
public sealed record SessionRecord(
    string Id,
    string UserId,
    byte[] TokenHash,
    SessionKind Kind,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? MfaAt,
    string? SourceIp,
    string? UserAgent,
    DateTimeOffset? RevokedAt,
    string? RevokedReason)
{
    public bool IsValidAt(DateTimeOffset now) => RevokedAt is null && now < ExpiresAt;
}

/// <summary>What a one-time invitation lets its holder do.</summary>
public enum InvitationPurpose
{
    /// <summary>A new user sets a password and enrols MFA.</summary>
    Invite,

    /// <summary>Set a new password (the current MFA is still asked for).</summary>
    PasswordReset,

    /// <summary>Enrol MFA again (the current password is still asked for).</summary>
    MfaReset,

    /// <summary>Offline recovery: set a password and enrol MFA again.</summary>
    Recovery,

    /// <summary>A bot or agent exchanges it for its first credential.</summary>
    BotJoin,
}

/// <summary>A one-time invitation or join token; only the hash of the token is stored.</summary>
public sealed record InvitationRecord(
    string Id,
    string UserId,
    InvitationPurpose Purpose,
    byte[] TokenHash,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt);

/// <summary>
/// One generation of a bot's renewable credential. Generations only grow; presenting a genuine but superseded
/// generation means a copy was taken, and suspends the identity.
/// </summary>
public sealed record BotCredentialRecord(
    string UserId,
    long Generation,
    byte[] SecretHash,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    TimeSpan Ttl);

/// <summary>
/// Failure counter for a throttling key (<c>user:NAMEKEY</c>, <c>ip:ADDRESS</c>, <c>user-ip:NAMEKEY|ADDRESS</c>).
/// <see cref="Lockouts"/> counts consecutive lockouts, so each one lasts longer (exponential back-off).
/// </summary>
public sealed record ThrottleRecord(string Key, int Failures, DateTimeOffset WindowStart, DateTimeOffset? LockedUntil, int Lockouts, DateTimeOffset UpdatedAt);
