using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Bootstrap;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

public sealed partial class IdentityService
{
    private const string InvalidTokenDetail = "the token is not valid: unknown, used, replaced by a newer one, or expired";

    /// <summary>Creates the first administrator with the one-time bootstrap token; prints the TOTP enrolment.</summary>
    public async Task<IResult> BootstrapAsync(BootstrapRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var tokenId = request.Token is { Length: <= SecretToken.MaxLength } t ? BootstrapToken.TryGetId(t) : null;
        if (tokenId is null)
        {
            await AuditAsync("installation.bootstrap", Anonymous(request.User), AuditOutcome.Failure, info, reason: "malformed_token", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid bootstrap token", "the bootstrap token is malformed; use the content of DATA_DIR/bootstrap.token");
        }
        if (CheckName(request.User, "user", out var name, out var nameKey) is { } badName) return badName;
        if (CheckPassword(request.Password, name, "password") is { } badPassword) return badPassword;
        if (CheckContact(request.DisplayName, request.Email) is { } badContact) return badContact;

        var now = Now();
        var record = (await runtime.Store.ListBootstrapTokensAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Id == tokenId);
        if (record is null || !BootstrapToken.Matches(request.Token!, record) || record.UsedAt is not null || record.ExpiresAt <= now)
        {
            var reason = record is null ? "unknown_token" : record.UsedAt is not null ? "used_token" : record.ExpiresAt <= now ? "expired_token" : "wrong_token";
            await AuditAsync("installation.bootstrap", Anonymous(name), AuditOutcome.Failure, info, reason: reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid bootstrap token", InvalidTokenDetail + "; issue a fresh one with custos admin bootstrap-token --data-dir DIR");
        }

        var admin = new IdentityRecord(SecretToken.NewId(), name, nameKey, request.DisplayName, request.Email, IdentityKind.User, IdentityStatus.Active,
            [BuiltInRoles.Admin], new Dictionary<string, IReadOnlyList<string>>(), now, null, 1);
        var hash = await hasher.HashAsync(request.Password!, cancellationToken).ConfigureAwait(false);
        var (totp, enrolment) = NewTotp(admin);
        var (codes, codeRecords) = RecoveryCodes.Generate(admin.Id, now);
        var result = await store.BootstrapAsync(tokenId, admin, new CredentialSet(new PasswordCredential(admin.Id, hash, now), totp, codeRecords), now, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case BootstrapResult.Created:
                break;
            case BootstrapResult.AlreadyBootstrapped:
                await AuditAsync("installation.bootstrap", Anonymous(name), AuditOutcome.Denied, info, reason: "already_bootstrapped", cancellationToken: cancellationToken).ConfigureAwait(false);
                return Problems.Conflict("already-bootstrapped", "Already bootstrapped", "an administrator exists already; log in, or use custos admin recover");
            case BootstrapResult.NameTaken:
                return Problems.Conflict("name-taken", "Name taken", $"the name {name} is taken");
            default:
                await AuditAsync("installation.bootstrap", Anonymous(name), AuditOutcome.Failure, info, reason: "token_consumed", cancellationToken: cancellationToken).ConfigureAwait(false);
                return Problems.Unauthorized("invalid-token", "Invalid bootstrap token", InvalidTokenDetail);
        }
        RemoveBootstrapTokenFile(request.Token!);
        var actor = ActorOf(admin);
        await AuditAsync("installation.bootstrap", actor, AuditOutcome.Success, info, Target(admin), details: new JsonObject { ["token_id"] = tokenId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await AuditAsync("user.create", actor, AuditOutcome.Success, info, Target(admin), details: new JsonObject { ["roles"] = new JsonArray(BuiltInRoles.Admin), ["kind"] = "user" }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await AuditAsync("mfa.enroll", actor, AuditOutcome.Success, info, Target(admin), details: new JsonObject { ["method"] = "totp", ["confirmed"] = false }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Created("/v1/users/" + Uri.EscapeDataString(admin.Name), new EnrollmentResponse(await ToDtoAsync(admin, cancellationToken).ConfigureAwait(false), enrolment, codes));
    }

    /// <summary>The used token file is removed (best effort; the token is dead anyway).</summary>
    private void RemoveBootstrapTokenFile(string token)
    {
        try
        {
            var file = runtime.DataDirectory.BootstrapTokenFile;
            if (File.Exists(file) && File.ReadAllText(file).Trim() == token.Trim()) File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file is harmless once the token is consumed.
        }
    }

    private static IResult? CheckContact(string? displayName, string? email)
    {
        if (displayName is not null && (displayName.Length > 128 || displayName.Any(char.IsControl)))
            return Problems.Validation("display_name", "must be at most 128 characters without control characters");
        if (email is not null && (email.Length > 254 || email.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || email.IndexOf('@', StringComparison.Ordinal) is < 1 || email.EndsWith('@')))
            return Problems.Validation("email", "must be an e-mail address such as alice@example.com");
        return null;
    }

    /// <summary>
    /// Redeems an invitation: a new user sets a password and enrols TOTP; a password reset sets a password (the current
    /// code is asked for); an MFA reset enrols TOTP again (the current password is asked for); a recovery does both.
    /// </summary>
    public async Task<IResult> AcceptInvitationAsync(AcceptInvitationRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var id = request.Token is { } token ? SecretToken.TryGetId(token.Trim(), SecretToken.InvitationPrefix) : null;
        var invitation = id is null ? null : await store.GetInvitationAsync(id, cancellationToken).ConfigureAwait(false);
        var now = Now();
        if (invitation is null || invitation.Purpose == InvitationPurpose.BotJoin || !SecretToken.Matches(request.Token!.Trim(), invitation.TokenHash)
            || invitation.UsedAt is not null || invitation.ExpiresAt <= now)
        {
            var reason = id is null ? "malformed_token" : invitation is null ? "unknown_token" : invitation.UsedAt is not null ? "used_token" : invitation.ExpiresAt <= now ? "expired_token" : "wrong_token";
            await AuditAsync("invitation.accept", Anonymous(null), AuditOutcome.Failure, info, id is null ? null : "invitation/" + id, reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid invitation", InvalidTokenDetail + "; ask an administrator for a new invitation");
        }
        var identity = await store.GetIdentityAsync(invitation.UserId, cancellationToken).ConfigureAwait(false);
        if (identity is null) return Problems.Unauthorized("invalid-token", "Invalid invitation", InvalidTokenDetail);
        if (identity.Status != IdentityStatus.Active)
        {
            await AuditAsync("invitation.accept", ActorOf(identity), AuditOutcome.Denied, info, "invitation/" + invitation.Id, "identity_" + identity.Status.ToName(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("identity-inactive", "Account not active", $"this account is {identity.Status.ToName()}; an administrator can resume it");
        }

        PasswordCredential? password = null;
        TotpCredential? totp = null;
        TotpEnrollmentDto? enrolment = null;
        IReadOnlyList<string>? codes = null;
        IReadOnlyList<RecoveryCodeRecord>? codeRecords = null;
        var setsPassword = invitation.Purpose is InvitationPurpose.Invite or InvitationPurpose.PasswordReset or InvitationPurpose.Recovery;
        var setsMfa = invitation.Purpose is InvitationPurpose.Invite or InvitationPurpose.MfaReset or InvitationPurpose.Recovery;
        if (setsPassword)
        {
            if (CheckPassword(request.Password, identity.Name, "password") is { } bad) return bad;
        }
        if (invitation.Purpose == InvitationPurpose.MfaReset)
        {
            // Whoever holds an MFA reset invitation must also know the password: a leaked invitation alone is not enough.
            var current = await store.GetPasswordAsync(identity.Id, cancellationToken).ConfigureAwait(false);
            if (current is null || !IsPlausiblePassword(request.CurrentPassword) || !await hasher.VerifyAsync(request.CurrentPassword, current.Hash, cancellationToken).ConfigureAwait(false))
            {
                await AuditAsync("invitation.accept", ActorOf(identity), AuditOutcome.Failure, info, "invitation/" + invitation.Id, "bad_password", cancellationToken: cancellationToken).ConfigureAwait(false);
                return Problems.Forbidden("password-wrong", "Current password wrong", "an MFA reset needs the account's current password (current_password)");
            }
        }
        if (invitation.Purpose == InvitationPurpose.PasswordReset)
        {
            // Likewise a password reset needs the second factor, when one is enrolled.
            var (check, _) = await CheckSecondFactorAsync(identity, request.Otp, null, cancellationToken).ConfigureAwait(false);
            if (check is not (MfaCheck.Passed or MfaCheck.NotEnrolled))
            {
                await AuditAsync("invitation.accept", ActorOf(identity), AuditOutcome.Failure, info, "invitation/" + invitation.Id, "mfa_" + check.ToString().ToLowerInvariant(), cancellationToken: cancellationToken).ConfigureAwait(false);
                return check == MfaCheck.Missing
                    ? Problems.Validation("otp", "a password reset needs a current TOTP code (otp)")
                    : Problems.Forbidden("mfa-failed", "MFA check failed", "the code is wrong or was used already");
            }
        }
        if (setsPassword) password = new PasswordCredential(identity.Id, await hasher.HashAsync(request.Password!, cancellationToken).ConfigureAwait(false), now);
        if (setsMfa && identity.Kind.IsHuman())
        {
            (totp, enrolment) = NewTotp(identity);
            (codes, codeRecords) = RecoveryCodes.Generate(identity.Id, now);
        }
        var credentials = new CredentialSet(password, totp, codeRecords, RemoveWebAuthn: invitation.Purpose is InvitationPurpose.MfaReset or InvitationPurpose.Recovery);
        if (!await store.TryAcceptInvitationAsync(invitation.Id, now, credentials, null, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync("invitation.accept", ActorOf(identity), AuditOutcome.Failure, info, "invitation/" + invitation.Id, "used_token", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid invitation", InvalidTokenDetail);
        }
        var revoked = 0;
        if (invitation.Purpose != InvitationPurpose.Invite)
        {
            revoked = await store.RevokeUserSessionsAsync(identity.Id, now, "credentials reset", null, cancellationToken).ConfigureAwait(false);
            sessions.InvalidateIdentity(identity.Id);
        }
        if (invitation.Purpose == InvitationPurpose.Recovery) await throttle.ClearUserAsync(identity.NameKey, cancellationToken).ConfigureAwait(false);
        var actor = ActorOf(identity);
        await AuditAsync("invitation.accept", actor, AuditOutcome.Success, info, "invitation/" + invitation.Id, details: new JsonObject
        {
            ["purpose"] = invitation.Purpose.ToName(),
            ["sessions_revoked"] = revoked,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (password is not null)
            await AuditAsync(invitation.Purpose == InvitationPurpose.Invite ? "user.password.set" : "user.password.reset", actor, AuditOutcome.Success, info, Target(identity), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (totp is not null)
            await AuditAsync("mfa.enroll", actor, AuditOutcome.Success, info, Target(identity), details: new JsonObject { ["method"] = "totp", ["confirmed"] = false }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new EnrollmentResponse(await ToDtoAsync(identity, cancellationToken).ConfigureAwait(false), enrolment, codes));
    }
}
