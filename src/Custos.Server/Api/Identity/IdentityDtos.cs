namespace Custos.Server.Api.Identity;

// The wire contract of the identity API (JSON, snake_case member names; times are RFC 3339 UTC strings).
// The CLI deserialises these same records. docs/authentication.md and docs/api.md describe them.

/// <summary>An identity as the API shows it (never a secret).</summary>
public sealed record UserDto(
    string Id,
    string Name,
    string? DisplayName,
    string? Email,
    string Kind,
    string Status,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Traits,
    string CreatedAt,
    string? LastLoginAt,
    long Revision,
    bool MfaEnrolled,
    int WebauthnCredentials,
    string? LockedUntil);

/// <summary>A TOTP enrolment, shown once to the user it belongs to.</summary>
public sealed record TotpEnrollmentDto(string Secret, string OtpauthUri, string QrPngBase64, string Issuer, string Account, int Digits, int Period, string Algorithm);

/// <summary>The result of bootstrap or of accepting an invitation.</summary>
public sealed record EnrollmentResponse(UserDto User, TotpEnrollmentDto? Totp, IReadOnlyList<string>? RecoveryCodes);

public sealed record BootstrapRequest(string Token, string User, string Password, string? DisplayName, string? Email);

public sealed record LoginRequest(string User, string Password, string? Otp, string? RecoveryCode);

public sealed record SessionDto(
    string Id,
    string UserId,
    string User,
    string Kind,
    string CreatedAt,
    string ExpiresAt,
    string? MfaAt,
    string? SourceIp,
    string? UserAgent,
    string? RevokedAt,
    string? RevokedReason,
    bool Current);

/// <summary>A new session: <see cref="Token"/> is the bearer token (<c>cst_…</c>), shown once.</summary>
public sealed record LoginResponse(string Token, SessionDto Session, UserDto User);

/// <summary><c>GET /v1/auth/whoami</c>.</summary>
public sealed record WhoAmIResponse(UserDto User, SessionDto Session);

public sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword, string? Otp);

public sealed record StepUpRequest(string? Otp, string? RecoveryCode);

/// <summary>
/// <c>POST /v1/invitations/accept</c>. <see cref="Password"/> is the new password (invite, password reset,
/// recovery); <see cref="CurrentPassword"/> is asked for an MFA reset, <see cref="Otp"/> for a password reset.
/// </summary>
public sealed record AcceptInvitationRequest(string Token, string? Password, string? CurrentPassword, string? Otp);

public sealed record CreateUserRequest(
    string Name,
    string? DisplayName,
    string? Email,
    IReadOnlyList<string>? Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Traits,
    string? InvitationTtl);

/// <summary>An invitation or join token (<see cref="Token"/> shown once to the administrator who created it).</summary>
public sealed record InvitationDto(string Id, string Purpose, string Token, string ExpiresAt);

public sealed record CreateUserResponse(UserDto User, InvitationDto Invitation);

/// <summary><c>PATCH /v1/users/{name}</c>: members left null are unchanged; <see cref="Revision"/> (when given) must match.</summary>
public sealed record UpdateUserRequest(
    string? DisplayName,
    string? Email,
    IReadOnlyList<string>? Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Traits,
    long? Revision);

public sealed record UserListResponse(IReadOnlyList<UserDto> Users);

public sealed record SessionListResponse(IReadOnlyList<SessionDto> Sessions);

public sealed record CreateBotRequest(string Name, string? Kind, IReadOnlyList<string>? Roles, IReadOnlyDictionary<string, IReadOnlyList<string>>? Traits, string? CredentialTtl, string? JoinTtl);

public sealed record CreateBotResponse(UserDto Bot, InvitationDto JoinToken);

public sealed record BotJoinRequest(string Token);

public sealed record BotRenewRequest(string Credential);

/// <summary>
/// A bot's credentials: <see cref="AccessToken"/> (<c>cst_…</c>) authenticates API calls until
/// <see cref="ExpiresAt"/>; <see cref="Credential"/> (<c>cbc_…</c>, generation <see cref="Generation"/>) renews once.
/// </summary>
public sealed record BotCredentialResponse(string Bot, string AccessToken, string Credential, long Generation, string ExpiresAt, string SessionId);

public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

public sealed record WebAuthnCredentialDto(string Id, string Name, string Aaguid, string CreatedAt, string? LastUsedAt, long SignCount);

public sealed record WebAuthnCredentialListResponse(IReadOnlyList<WebAuthnCredentialDto> Credentials);
