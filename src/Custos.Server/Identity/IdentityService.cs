using Custos.Core;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Custos.Server.Configuration;
using Custos.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

/// <summary>
/// The identity flows behind the API: bootstrap, login with MFA, invitations, sessions, administration of users and
/// bots. Every outcome that matters to security is audited before it is acknowledged; when the audit log or the
/// database cannot be reached the flow fails (503) rather than proceeding unrecorded.
/// </summary>
public sealed partial class IdentityService(
    IIdentityStore store,
    CustosRuntime runtime,
    PasswordHasher hasher,
    MasterKey masterKey,
    SessionCache sessions,
    LoginThrottle throttle,
    Policy.PolicyService policy,
    Certificates.SshRevocationService sshRevocations,
    TimeProvider time)
{
    public const string TotpIssuer = "Custos";
    private readonly IdentityOptions _options = runtime.Options.Identity;
    private readonly EnvelopeSealer _sealer = new(masterKey);

    public IdentityOptions Options => _options;

    /// <summary>The configured request body limit (<c>http.max_body_bytes</c>).</summary>
    public long MaxBodyBytes => runtime.Options.HttpMaxBodyBytes;

    private static string TotpSecretName(string userId) => "totp:" + userId;

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    // ---- audit ----

    private async Task AuditAsync(string type, AuditActor actor, AuditOutcome outcome, RequestInfo request, string? target = null,
        string? reason = null, JsonObject? details = null, CancellationToken cancellationToken = default) =>
        await runtime.RequireAudit().AppendAsync(new AuditEntry(type, actor, outcome, Clip(target), reason, request.Source, request.RequestId, details),
            cancellationToken).ConfigureAwait(false);

    /// <summary>An actor for a caller who is not authenticated yet: the name they typed (clipped), or the identity once known.</summary>
    private static AuditActor Anonymous(string? typedName) => new("anonymous", "-", Clip(typedName) ?? "-");

    private static AuditActor ActorOf(IdentityRecord identity) => new(identity.Kind.ToName(), identity.Id, identity.Name);

    private static string Target(IdentityRecord identity) => (identity.Kind == IdentityKind.User ? "user/" : "bot/") + identity.Name;

    /// <summary>Hostile input goes into audit fields only clipped and with unpaired surrogates replaced.</summary>
    private static string? Clip(string? text)
    {
        if (text is null) return null;
        if (text.Length > 128) text = text[..128];
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    // ---- DTOs ----

    public async Task<UserDto> ToDtoAsync(IdentityRecord identity, CancellationToken cancellationToken)
    {
        var totp = await store.GetTotpAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        var webauthn = await store.ListWebAuthnCredentialsAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        var locked = await throttle.UserLockedUntilAsync(identity.NameKey, cancellationToken).ConfigureAwait(false);
        return new UserDto(identity.Id, identity.Name, identity.DisplayName, identity.Email, identity.Kind.ToName(), identity.Status.ToName(),
            identity.Roles, identity.Traits, AuditChain.FormatTime(identity.CreatedAt), Format(identity.LastLoginAt), identity.Revision,
            totp is { Confirmed: true } || webauthn.Count > 0, webauthn.Count, Format(locked));
    }

    public static SessionDto ToDto(SessionRecord session, IdentityRecord? identity, string? currentSessionId) =>
        new(session.Id, session.UserId, identity?.Name ?? session.UserId, session.Kind == SessionKind.Bot ? "bot" : "login",
            AuditChain.FormatTime(session.CreatedAt), AuditChain.FormatTime(session.ExpiresAt), Format(session.MfaAt), session.SourceIp,
            session.UserAgent, Format(session.RevokedAt), session.RevokedReason, session.Id == currentSessionId);

    private static string? Format(DateTimeOffset? time) => time is { } t ? AuditChain.FormatTime(t) : null;

    // ---- shared checks ----

    /// <summary>Validates and normalises a user name, or returns the 400 problem.</summary>
    private static IResult? CheckName(string? input, string field, out string name, out string nameKey)
    {
        if (IdentityName.TryNormalize(input, out name, out nameKey, out var error)) return null;
        return Problems.Validation(field, error ?? "is not a valid name");
    }

    private static IResult? CheckPassword(string? password, string? userName, string field)
    {
        if (string.IsNullOrEmpty(password)) return Problems.Validation(field, "is required");
        if (!IsPlausiblePassword(password)) return Problems.Validation(field, $"is longer than {PasswordPolicy.MaxLength} bytes");
        return PasswordPolicy.Check(password, userName) is { } reason ? Problems.Validation(field, reason) : null;
    }

    /// <summary>Password input longer than the policy allows is refused before hashing.</summary>
    private static bool IsPlausiblePassword([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? password) =>
        !string.IsNullOrEmpty(password) && password.Length <= PasswordPolicy.MaxLength && System.Text.Encoding.UTF8.GetByteCount(password) <= PasswordPolicy.MaxLength;

    private (TotpCredential Credential, TotpEnrollmentDto Dto) NewTotp(IdentityRecord identity)
    {
        var secret = Totp.NewSecret();
        try
        {
            var uri = Totp.OtpauthUri(TotpIssuer, identity.Name, secret);
            var credential = new TotpCredential(identity.Id, _sealer.Seal(TotpSecretName(identity.Id), secret), false, 0, Now());
            var dto = new TotpEnrollmentDto(Totp.ToBase32(secret), uri, Convert.ToBase64String(QrCodes.Png(uri)), TotpIssuer, identity.Name, 6, 30, "SHA1");
            return (credential, dto);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Outcome of checking a second factor.</summary>
    private enum MfaCheck
    {
        Passed,
        Missing,
        Wrong,
        Replayed,
        NotEnrolled,
    }

    /// <summary>Checks a TOTP code (refusing replays atomically) or a one-time recovery code.</summary>
    private async Task<(MfaCheck Result, string Method)> CheckSecondFactorAsync(IdentityRecord identity, string? otp, string? recoveryCode, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(recoveryCode))
        {
            var codes = await store.ListRecoveryCodesAsync(identity.Id, cancellationToken).ConfigureAwait(false);
            var match = RecoveryCodes.Find(recoveryCode, codes);
            if (match is null) return (MfaCheck.Wrong, "recovery_code");
            return await store.TryUseRecoveryCodeAsync(identity.Id, match.Id, Now(), cancellationToken).ConfigureAwait(false)
                ? (MfaCheck.Passed, "recovery_code") : (MfaCheck.Replayed, "recovery_code");
        }
        var totp = await store.GetTotpAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        if (totp is null) return (MfaCheck.NotEnrolled, "totp");
        if (string.IsNullOrWhiteSpace(otp)) return (MfaCheck.Missing, "totp");
        var secret = _sealer.Open(TotpSecretName(identity.Id), totp.Secret);
        try
        {
            // Match refuses steps at or below the last used one; a code for an older step in the window is a replay too.
            if (Totp.Match(secret, otp, time.GetUtcNow(), totp.LastUsedStep) is not { } step)
                return (Totp.Match(secret, otp, time.GetUtcNow(), -1) is null ? MfaCheck.Wrong : MfaCheck.Replayed, "totp");
            if (!await store.TryUseTotpStepAsync(identity.Id, step, cancellationToken).ConfigureAwait(false)) return (MfaCheck.Replayed, "totp");
            if (!totp.Confirmed) await store.ConfirmTotpAsync(identity.Id, cancellationToken).ConfigureAwait(false);
            return (MfaCheck.Passed, "totp");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    private bool RequiresMfa(IdentityRecord identity) => identity.Kind.IsHuman() && (identity.IsAdmin || _options.MfaRequiredForUsers);

    /// <summary>A new session and its bearer token (not stored yet).</summary>
    private (string Token, SessionRecord Session) NewSession(IdentityRecord identity, SessionKind kind, TimeSpan ttl, bool mfa, RequestInfo request)
    {
        var token = SecretToken.NewSessionToken();
        var now = Now();
        var session = new SessionRecord("ses_" + SecretToken.NewId(), identity.Id, SecretToken.Hash(token), kind, now, now + ttl, mfa ? now : null,
            request.SourceIp, request.UserAgent, null, null);
        return (token, session);
    }
}
