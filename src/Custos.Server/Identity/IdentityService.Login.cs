using System.Globalization;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

public sealed partial class IdentityService
{
    private const string LoginFailedDetail = "the user name, password or code is wrong";

    /// <summary>
    /// Password + second factor → session. Unknown users and wrong passwords take the same time (a dummy Argon2id
    /// computation) and get the same answer; lockouts are keyed by the typed name, existing or not.
    /// </summary>
    public async Task<IResult> LoginAsync(LoginRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var phase = await CheckPasswordPhaseAsync(request.User, request.Password, info, cancellationToken).ConfigureAwait(false);
        if (phase.Failure is { } failure) return failure;
        var (identity, nameKey, password) = (phase.Identity!, phase.NameKey!, phase.Password!);
        var mfa = false;
        if (RequiresMfa(identity) || !string.IsNullOrWhiteSpace(request.Otp) || !string.IsNullOrWhiteSpace(request.RecoveryCode))
        {
            var (check, method) = await CheckSecondFactorAsync(identity, request.Otp, request.RecoveryCode, cancellationToken).ConfigureAwait(false);
            switch (check)
            {
                case MfaCheck.Passed:
                    mfa = true;
                    if (method == "recovery_code")
                        await AuditAsync("mfa.recovery_code.use", ActorOf(identity), AuditOutcome.Success, info, Target(identity), cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case MfaCheck.Missing:
                    return Problems.Unauthorized("mfa-required", "A second factor is required", "this account requires a TOTP code (otp) or a recovery code");
                case MfaCheck.NotEnrolled when !RequiresMfa(identity):
                    break;
                case MfaCheck.NotEnrolled:
                    await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Denied, info, reason: "mfa_not_enrolled", cancellationToken: cancellationToken).ConfigureAwait(false);
                    return Problems.Forbidden("mfa-not-enrolled", "MFA is not enrolled",
                        "this account has no second factor enrolled; ask an administrator for an MFA reset invitation (custos admin users reset-mfa)");
                case MfaCheck.Replayed:
                    return await FailLoginAsync(ActorOf(identity), nameKey, method == "totp" ? "otp_replayed" : "recovery_code_used", info, cancellationToken).ConfigureAwait(false);
                default:
                    return await FailLoginAsync(ActorOf(identity), nameKey, method == "totp" ? "bad_otp" : "bad_recovery_code", info, cancellationToken).ConfigureAwait(false);
            }
        }

        if (hasher.NeedsRehash(password.Hash))
            await store.SetPasswordAsync(new PasswordCredential(identity.Id, await hasher.HashAsync(request.Password, cancellationToken).ConfigureAwait(false), Now()), cancellationToken).ConfigureAwait(false);
        return await StartLoginSessionAsync(identity, nameKey, mfa, mfaMethod: null, info, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The outcome of the password phase: a failure answer, or the identity whose password is right and which may log in.</summary>
    private sealed record PasswordPhase(IResult? Failure, IdentityRecord? Identity = null, string? NameKey = null, PasswordCredential? Password = null);

    /// <summary>
    /// The password phase shared by every login flow (password + TOTP, password + WebAuthn): name normalisation,
    /// lockout check, Argon2id verification (or a dummy one of the same cost), failure recording and the status check.
    /// Every flow therefore answers a wrong password identically and counts it toward the same lockouts.
    /// </summary>
    private async Task<PasswordPhase> CheckPasswordPhaseAsync(string? user, string? typedPassword, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!IdentityName.TryNormalize(user, out var name, out var nameKey, out _) || !IsPlausiblePassword(typedPassword))
        {
            // Not a possible name or password: nothing to look up, but answer like any other failure.
            await hasher.VerifyDummyAsync(IsPlausiblePassword(typedPassword) ? typedPassword : "dummy-password", cancellationToken).ConfigureAwait(false);
            await AuditAsync("user.login", Anonymous(user), AuditOutcome.Failure, info, reason: "malformed_credentials", cancellationToken: cancellationToken).ConfigureAwait(false);
            return new PasswordPhase(Problems.Unauthorized("login-failed", "Login failed", LoginFailedDetail));
        }
        var identity = await store.GetIdentityByNameAsync(nameKey, cancellationToken).ConfigureAwait(false);
        if (await throttle.CheckAsync(nameKey, identity?.Id, info.SourceIp, cancellationToken).ConfigureAwait(false) is { } lockout)
        {
            await AuditAsync("user.login", identity is null ? Anonymous(name) : ActorOf(identity), AuditOutcome.Denied, info, reason: "locked_out",
                details: new JsonObject { ["scope"] = lockout.Scope, ["until"] = AuditChain.FormatTime(lockout.Until) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new PasswordPhase(LockedOut(lockout));
        }

        var password = identity is null ? null : await store.GetPasswordAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        bool passwordOk;
        if (password is null)
        {
            await hasher.VerifyDummyAsync(typedPassword, cancellationToken).ConfigureAwait(false);
            passwordOk = false;
        }
        else
        {
            passwordOk = await hasher.VerifyAsync(typedPassword, password.Hash, cancellationToken).ConfigureAwait(false);
        }
        if (!passwordOk || identity is null || password is null)
            return new PasswordPhase(await FailLoginAsync(identity is null ? Anonymous(name) : ActorOf(identity), nameKey, identity is null ? "unknown_user" : password is null ? "no_password" : "bad_password", info, cancellationToken).ConfigureAwait(false));

        // The password is right: from here on the caller has proven knowledge of it, so precise answers leak nothing new.
        if (identity.Status != IdentityStatus.Active)
        {
            await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Denied, info, reason: "identity_" + identity.Status.ToName(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new PasswordPhase(Problems.Forbidden("identity-inactive", "Account not active", $"this account is {identity.Status.ToName()}; an administrator can resume it"));
        }
        return new PasswordPhase(null, identity, nameKey, password);
    }

    /// <summary>Both factors passed: a new login session, the throttle reset, the login audited, and the answer.</summary>
    private async Task<IResult> StartLoginSessionAsync(IdentityRecord identity, string nameKey, bool mfa, string? mfaMethod, RequestInfo info, CancellationToken cancellationToken)
    {
        var (token, session) = NewSession(identity, SessionKind.Login, _options.SessionTtl, mfa, info);
        await store.CreateSessionAsync(session, cancellationToken).ConfigureAwait(false);
        await store.SetLastLoginAsync(identity.Id, session.CreatedAt, cancellationToken).ConfigureAwait(false);
        await throttle.RecordSuccessAsync(nameKey, identity.Id, info.SourceIp, cancellationToken).ConfigureAwait(false);
        var details = new JsonObject { ["session_id"] = session.Id, ["mfa"] = mfa, ["expires_at"] = AuditChain.FormatTime(session.ExpiresAt) };
        if (mfaMethod is not null) details["mfa_method"] = mfaMethod;
        await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Success, info, Target(identity), details: details, cancellationToken: cancellationToken).ConfigureAwait(false);
        identity = identity with { LastLoginAt = session.CreatedAt };
        return Results.Ok(new LoginResponse(token, ToDto(session, identity, session.Id), await ToDtoAsync(identity, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>A counted login failure: audited, recorded by the throttle; the answer is <paramref name="failure"/> (login-failed by default) unless a lockout starts.</summary>
    private async Task<IResult> FailLoginAsync(AuditActor actor, string nameKey, string reason, RequestInfo info, CancellationToken cancellationToken, IResult? failure = null)
    {
        var lockouts = await throttle.RecordFailureAsync(nameKey, info.SourceIp, cancellationToken).ConfigureAwait(false);
        await AuditAsync("user.login", actor, AuditOutcome.Failure, info, reason: reason, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var lockout in lockouts)
        {
            await AuditAsync("user.lockout", actor, AuditOutcome.Denied, info, "user/" + nameKey, reason: "too_many_failures",
                details: new JsonObject { ["scope"] = lockout.Scope, ["until"] = AuditChain.FormatTime(lockout.Until) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        return lockouts.Count > 0 ? LockedOut(lockouts[0]) : failure ?? Problems.Unauthorized("login-failed", "Login failed", LoginFailedDetail);
    }

    private IResult LockedOut(Lockout lockout)
    {
        var wait = lockout.Until - time.GetUtcNow();
        return Problems.TooManyRequests("locked-out", "Too many failed logins",
            $"too many failed logins; try again after {AuditChain.FormatTime(lockout.Until)} ({Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s), or ask an administrator to unlock the account",
            wait);
    }

    public async Task<IResult> LogoutAsync(CustosPrincipal caller, RequestInfo info, CancellationToken cancellationToken)
    {
        await store.RevokeSessionAsync(caller.Session.Id, Now(), "logout", cancellationToken).ConfigureAwait(false);
        sessions.InvalidateSession(caller.Session.Id);
        await AuditAsync("session.revoke", caller.Actor, AuditOutcome.Success, info, "session/" + caller.Session.Id, reason: "logout", cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    public async Task<IResult> WhoAmIAsync(CustosPrincipal caller, CancellationToken cancellationToken) =>
        Results.Ok(new WhoAmIResponse(await ToDtoAsync(caller.Identity, cancellationToken).ConfigureAwait(false), ToDto(caller.Session, caller.Identity, caller.Session.Id)));

    /// <summary>Step-up: a fresh MFA check inside the session, required for sensitive administrative actions.</summary>
    public async Task<IResult> VerifyMfaAsync(CustosPrincipal caller, StepUpRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var (check, method) = await CheckSecondFactorAsync(caller.Identity, request.Otp, request.RecoveryCode, cancellationToken).ConfigureAwait(false);
        if (check != MfaCheck.Passed)
        {
            var reason = check switch { MfaCheck.Missing => "missing_code", MfaCheck.Replayed => "replayed_code", MfaCheck.NotEnrolled => "mfa_not_enrolled", _ => "bad_code" };
            await AuditAsync("mfa.verify", caller.Actor, AuditOutcome.Failure, info, Target(caller.Identity), reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            return check switch
            {
                MfaCheck.Missing => Problems.Validation("otp", "a TOTP code (otp) or a recovery code is required"),
                MfaCheck.NotEnrolled => Problems.Forbidden("mfa-not-enrolled", "MFA is not enrolled", "this account has no second factor enrolled"),
                _ => Problems.Forbidden("mfa-failed", "MFA check failed", check == MfaCheck.Replayed ? "this code was used already; wait for the next one" : "the code is wrong"),
            };
        }
        var now = Now();
        await store.SetSessionMfaAsync(caller.Session.Id, now, cancellationToken).ConfigureAwait(false);
        var session = caller.Session with { MfaAt = now };
        sessions.Update(session, caller.Identity);
        await AuditAsync("mfa.verify", caller.Actor, AuditOutcome.Success, info, Target(caller.Identity), details: new JsonObject { ["method"] = method, ["session_id"] = session.Id },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(ToDto(session, caller.Identity, session.Id));
    }

    /// <summary><c>custos passwd</c>: the current password (and a code when MFA is enrolled) sets a new one; other sessions end.</summary>
    public async Task<IResult> ChangePasswordAsync(CustosPrincipal caller, ChangePasswordRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var identity = caller.Identity;
        if (!identity.Kind.IsHuman()) return Problems.Forbidden("not-a-user", "Not a user", "bots and agents have no password");
        if (CheckPassword(request.NewPassword, identity.Name, "new_password") is { } invalid) return invalid;
        var current = await store.GetPasswordAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        if (current is null || !IsPlausiblePassword(request.CurrentPassword) || !await hasher.VerifyAsync(request.CurrentPassword, current.Hash, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync("user.password.change", caller.Actor, AuditOutcome.Failure, info, Target(identity), "bad_password", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("password-wrong", "Current password wrong", "the current password is wrong");
        }
        if (!caller.HasRecentMfa(time.GetUtcNow(), _options.StepUpWindow) && RequiresMfa(identity))
        {
            var (check, _) = await CheckSecondFactorAsync(identity, request.Otp, null, cancellationToken).ConfigureAwait(false);
            if (check != MfaCheck.Passed)
            {
                await AuditAsync("user.password.change", caller.Actor, AuditOutcome.Failure, info, Target(identity), "mfa_" + check.ToString().ToLowerInvariant(), cancellationToken: cancellationToken).ConfigureAwait(false);
                return check == MfaCheck.Missing
                    ? Problems.Forbidden("mfa-step-up-required", "Recent MFA required", "changing the password needs a TOTP code (otp)")
                    : Problems.Forbidden("mfa-failed", "MFA check failed", "the code is wrong or was used already");
            }
        }
        var hash = await hasher.HashAsync(request.NewPassword, cancellationToken).ConfigureAwait(false);
        await store.SetPasswordAsync(new PasswordCredential(identity.Id, hash, Now()), cancellationToken).ConfigureAwait(false);
        var revoked = await store.RevokeUserSessionsAsync(identity.Id, Now(), "password changed", caller.Session.Id, cancellationToken).ConfigureAwait(false);
        sessions.InvalidateIdentity(identity.Id);
        await AuditAsync("user.password.change", caller.Actor, AuditOutcome.Success, info, Target(identity), details: new JsonObject { ["sessions_revoked"] = revoked },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>New recovery codes (the old ones stop working); needs a recent MFA check.</summary>
    public async Task<IResult> RegenerateRecoveryCodesAsync(CustosPrincipal caller, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!caller.Identity.Kind.IsHuman()) return Problems.Forbidden("not-a-user", "Not a user", "bots and agents have no recovery codes");
        var (codes, records) = RecoveryCodes.Generate(caller.Identity.Id, Now());
        await store.ReplaceRecoveryCodesAsync(caller.Identity.Id, records, cancellationToken).ConfigureAwait(false);
        await AuditAsync("mfa.recovery_codes.replace", caller.Actor, AuditOutcome.Success, info, Target(caller.Identity), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new RecoveryCodesResponse(codes));
    }

    public async Task<IResult> ListSessionsAsync(CustosPrincipal caller, string? userName, bool all, CancellationToken cancellationToken)
    {
        string? userId;
        if (userName is null) userId = all ? null : caller.Identity.Id;
        else
        {
            if (!IdentityName.TryNormalize(userName, out _, out var key, out var error)) return Problems.Validation("user", error ?? "is not a valid name");
            var identity = await store.GetIdentityByNameAsync(key, cancellationToken).ConfigureAwait(false);
            if (identity is null) return Problems.NotFound($"no user or bot named {userName}");
            userId = identity.Id;
        }
        var list = await store.ListSessionsAsync(userId, includeEnded: false, Now(), cancellationToken).ConfigureAwait(false);
        var names = new Dictionary<string, IdentityRecord?>(StringComparer.Ordinal);
        var dtos = new List<SessionDto>(list.Count);
        foreach (var s in list)
        {
            if (!names.TryGetValue(s.UserId, out var owner)) names[s.UserId] = owner = await store.GetIdentityAsync(s.UserId, cancellationToken).ConfigureAwait(false);
            dtos.Add(ToDto(s, owner, caller.Session.Id));
        }
        return Results.Ok(new SessionListResponse(dtos));
    }

    /// <summary>
    /// Revokes a session: any (<paramref name="anyUser"/>, for callers the policy allows <c>sessions.revoke</c>) or only
    /// one of the caller's own. Takes effect on the next request.
    /// </summary>
    public async Task<IResult> RevokeSessionAsync(CustosPrincipal caller, string sessionId, bool anyUser, RequestInfo info, CancellationToken cancellationToken)
    {
        if (sessionId.Length > 64) return Problems.NotFound("no such session");
        var session = await store.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || (!anyUser && session.UserId != caller.Identity.Id)) return Problems.NotFound($"no session {sessionId}");
        if (session.RevokedAt is not null) return Problems.Conflict("already-revoked", "Already revoked", $"session {sessionId} was revoked at {AuditChain.FormatTime(session.RevokedAt.Value)}");
        var by = caller.Session.Id == sessionId ? "logout" : "revoked by " + caller.Identity.Name;
        await store.RevokeSessionAsync(sessionId, Now(), by, cancellationToken).ConfigureAwait(false);
        sessions.InvalidateSession(sessionId);
        await AuditAsync("session.revoke", caller.Actor, AuditOutcome.Success, info, "session/" + sessionId, by,
            details: new JsonObject { ["owner_id"] = session.UserId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }
}
