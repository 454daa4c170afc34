using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Fido2NetLib;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

/// <summary>
/// The WebAuthn flows of the identity service: registering authenticators, password + WebAuthn login, and WebAuthn
/// step-up. Verification is <see cref="WebAuthnService"/>'s (the Fido2 library); this part decides, records and audits.
/// Once a challenge token is authentic the caller has proven the password (login) or holds a session, so failures
/// are answered precisely.
/// </summary>
public sealed partial class IdentityService
{
    /// <summary>Registered authenticators per user.</summary>
    public const int MaxWebAuthnCredentials = 16;

    private const int MaxCredentialNameLength = 64;

    // ---- registration ----

    public async Task<IResult> BeginWebAuthnRegistrationAsync(CustosPrincipal caller, WebAuthnRegisterBeginRequest request, WebAuthnService webauthn, CancellationToken cancellationToken)
    {
        var identity = caller.Identity;
        if (!identity.Kind.IsHuman()) return Problems.Forbidden("not-a-user", "Not a user", "bots and agents cannot register WebAuthn authenticators");
        if (CheckCredentialName(request.Name, out var name) is { } invalid) return invalid;
        var existing = await store.ListWebAuthnCredentialsAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= MaxWebAuthnCredentials)
            return Problems.Conflict("too-many-credentials", "Too many authenticators", $"at most {MaxWebAuthnCredentials} WebAuthn authenticators per user; remove one first");
        var (token, options) = webauthn.BeginRegistration(identity, name, existing);
        return Results.Ok(new WebAuthnBeginResponse(token, ParseOptions(options)));
    }

    public async Task<IResult> FinishWebAuthnRegistrationAsync(CustosPrincipal caller, WebAuthnRegisterFinishRequest request, WebAuthnService webauthn, RequestInfo info,
        CancellationToken cancellationToken)
    {
        var identity = caller.Identity;
        if (!identity.Kind.IsHuman()) return Problems.Forbidden("not-a-user", "Not a user", "bots and agents cannot register WebAuthn authenticators");
        if (RequireChallengeToken(request.ChallengeToken) is { } noToken) return noToken;
        if (request.Response is not { } json) return Problems.Validation("response", "is required (the PublicKeyCredential from navigator.credentials.create())");
        var (response, parseError) = WebAuthnService.ParseAttestation(json);
        if (response is null) return Problems.Validation("response", parseError!);
        string? name = null;
        if (request.Name is not null && CheckCredentialName(request.Name, out name) is { } invalid) return invalid;

        var rejection = webauthn.Tokens.Redeem(request.ChallengeToken, WebAuthnPurpose.Register, identity.Id, out var challenge);
        if (rejection != ChallengeRejection.None) return ChallengeProblem(rejection, "register");
        name ??= challenge!.Name ?? "authenticator";

        var (credential, failure) = await webauthn.VerifyRegistrationAsync(challenge!, response, store, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            await AuditAsync("mfa.enroll", caller.Actor, AuditOutcome.Failure, info, Target(identity), failure.Reason,
                new JsonObject { ["method"] = "webauthn" }, cancellationToken).ConfigureAwait(false);
            return failure.Reason == "webauthn_credential_exists"
                ? Problems.Conflict("webauthn-credential-exists", "Authenticator registered already", failure.Detail)
                : WebAuthnFailed(StatusCodes.Status400BadRequest, failure.Detail);
        }
        var record = new WebAuthnCredentialRecord(credential!.Id, identity.Id, credential.PublicKey, credential.SignCount, credential.AaGuid, name, Now(), null);
        if (!await store.TryAddWebAuthnCredentialAsync(record, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync("mfa.enroll", caller.Actor, AuditOutcome.Failure, info, Target(identity), "webauthn_credential_exists",
                new JsonObject { ["method"] = "webauthn" }, cancellationToken).ConfigureAwait(false);
            return Problems.Conflict("webauthn-credential-exists", "Authenticator registered already", "this authenticator's credential is registered already");
        }
        var dto = ToDto(record);
        await AuditAsync("mfa.enroll", caller.Actor, AuditOutcome.Success, info, Target(identity), details: new JsonObject
        {
            ["method"] = "webauthn",
            ["credential_id"] = dto.Id,
            ["aaguid"] = dto.Aaguid,
            ["name"] = Clip(name),
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Created("/v1/auth/webauthn/credentials/" + dto.Id, dto);
    }

    public async Task<IResult> ListWebAuthnCredentialsAsync(CustosPrincipal caller, CancellationToken cancellationToken)
    {
        var list = await store.ListWebAuthnCredentialsAsync(caller.Identity.Id, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new WebAuthnCredentialListResponse([.. list.Select(ToDto)]));
    }

    public async Task<IResult> DeleteWebAuthnCredentialAsync(CustosPrincipal caller, string id, RequestInfo info, CancellationToken cancellationToken)
    {
        if (DecodeCredentialId(id) is not { } credentialId
            || !await store.DeleteWebAuthnCredentialAsync(caller.Identity.Id, credentialId, cancellationToken).ConfigureAwait(false))
            return Problems.NotFound($"you have no WebAuthn credential {Clip(id)}");
        await AuditAsync("mfa.remove", caller.Actor, AuditOutcome.Success, info, Target(caller.Identity),
            details: new JsonObject { ["method"] = "webauthn", ["credential_id"] = Base64Url.EncodeToString(credentialId) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    // ---- login ----

    /// <summary>Password first (exactly the checks, answers and lockouts of /v1/auth/login), then assertion options for the user's authenticators.</summary>
    public async Task<IResult> BeginWebAuthnLoginAsync(WebAuthnLoginBeginRequest request, WebAuthnService webauthn, RequestInfo info, CancellationToken cancellationToken)
    {
        var phase = await CheckPasswordPhaseAsync(request.User, request.Password, info, cancellationToken).ConfigureAwait(false);
        if (phase.Failure is { } failure) return failure;
        var identity = phase.Identity!;
        var credentials = await store.ListWebAuthnCredentialsAsync(identity.Id, cancellationToken).ConfigureAwait(false);
        if (credentials.Count == 0)
        {
            await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Denied, info, reason: "webauthn_not_registered", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("webauthn-not-registered", "No WebAuthn authenticator", "this account has no WebAuthn authenticator registered; log in with a TOTP code instead");
        }
        var (token, options) = webauthn.BeginAssertion(WebAuthnPurpose.Login, identity, credentials);
        return Results.Ok(new WebAuthnBeginResponse(token, ParseOptions(options)));
    }

    /// <summary>The assertion for a login challenge: a session like password + TOTP login gives. Failures count toward lockout.</summary>
    public async Task<IResult> FinishWebAuthnLoginAsync(WebAuthnAssertionFinishRequest request, WebAuthnService webauthn, RequestInfo info, CancellationToken cancellationToken)
    {
        if (RequireChallengeToken(request.ChallengeToken) is { } noToken) return noToken;
        if (request.Response is not { } json) return Problems.Validation("response", "is required (the PublicKeyCredential from navigator.credentials.get())");
        var (response, parseError) = WebAuthnService.ParseAssertion(json);
        if (response is null) return Problems.Validation("response", parseError!);

        var rejection = webauthn.Tokens.Redeem(request.ChallengeToken, WebAuthnPurpose.Login, null, out var challenge);
        if (rejection == ChallengeRejection.Malformed || challenge is null)
        {
            await AuditAsync("user.login", Anonymous(null), AuditOutcome.Failure, info, reason: "webauthn_bad_token", cancellationToken: cancellationToken).ConfigureAwait(false);
            return ChallengeProblem(ChallengeRejection.Malformed, "login");
        }
        var identity = await store.GetIdentityAsync(challenge.IdentityId, cancellationToken).ConfigureAwait(false);
        if (identity is null)
        {
            await AuditAsync("user.login", Anonymous(challenge.IdentityId), AuditOutcome.Failure, info, reason: "unknown_user", cancellationToken: cancellationToken).ConfigureAwait(false);
            return WebAuthnFailed(StatusCodes.Status401Unauthorized, "the account this challenge was issued to no longer exists");
        }
        if (await throttle.CheckAsync(identity.NameKey, identity.Id, info.SourceIp, cancellationToken).ConfigureAwait(false) is { } lockout)
        {
            await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Denied, info, reason: "locked_out",
                details: new JsonObject { ["scope"] = lockout.Scope, ["until"] = AuditChain.FormatTime(lockout.Until) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return LockedOut(lockout);
        }
        if (identity.Status != IdentityStatus.Active)
        {
            await AuditAsync("user.login", ActorOf(identity), AuditOutcome.Denied, info, reason: "identity_" + identity.Status.ToName(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("identity-inactive", "Account not active", $"this account is {identity.Status.ToName()}; an administrator can resume it");
        }
        if (rejection == ChallengeRejection.Busy) return ChallengeProblem(rejection, "login");
        if (rejection != ChallengeRejection.None)
        {
            var (reason, message) = ChallengeRejectionText(rejection, "login");
            return await FailLoginAsync(ActorOf(identity), identity.NameKey, reason, info, cancellationToken,
                WebAuthnFailed(StatusCodes.Status401Unauthorized, "the challenge token " + message)).ConfigureAwait(false);
        }

        var failure = await CheckAssertionAsync(identity, challenge, response, webauthn, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
            return await FailLoginAsync(ActorOf(identity), identity.NameKey, failure.Reason, info, cancellationToken, WebAuthnFailed(StatusCodes.Status401Unauthorized, failure.Detail)).ConfigureAwait(false);
        return await StartLoginSessionAsync(identity, identity.NameKey, mfa: true, mfaMethod: "webauthn", info, cancellationToken).ConfigureAwait(false);
    }

    // ---- step-up ----

    public async Task<IResult> BeginWebAuthnStepUpAsync(CustosPrincipal caller, WebAuthnService webauthn, CancellationToken cancellationToken)
    {
        var credentials = await store.ListWebAuthnCredentialsAsync(caller.Identity.Id, cancellationToken).ConfigureAwait(false);
        if (credentials.Count == 0)
            return Problems.Forbidden("webauthn-not-registered", "No WebAuthn authenticator", "this account has no WebAuthn authenticator registered; use /v1/auth/mfa/verify with a TOTP code");
        var (token, options) = webauthn.BeginAssertion(WebAuthnPurpose.StepUp, caller.Identity, credentials);
        return Results.Ok(new WebAuthnBeginResponse(token, ParseOptions(options)));
    }

    /// <summary>Step-up with an authenticator: sets the session's MFA time like <c>/v1/auth/mfa/verify</c>.</summary>
    public async Task<IResult> FinishWebAuthnStepUpAsync(CustosPrincipal caller, WebAuthnAssertionFinishRequest request, WebAuthnService webauthn, RequestInfo info,
        CancellationToken cancellationToken)
    {
        if (RequireChallengeToken(request.ChallengeToken) is { } noToken) return noToken;
        if (request.Response is not { } json) return Problems.Validation("response", "is required (the PublicKeyCredential from navigator.credentials.get())");
        var (response, parseError) = WebAuthnService.ParseAssertion(json);
        if (response is null) return Problems.Validation("response", parseError!);
        var rejection = webauthn.Tokens.Redeem(request.ChallengeToken, WebAuthnPurpose.StepUp, caller.Identity.Id, out var challenge);
        if (rejection != ChallengeRejection.None)
        {
            await AuditAsync("mfa.verify", caller.Actor, AuditOutcome.Failure, info, Target(caller.Identity), ChallengeRejectionText(rejection, "step-up").Reason,
                new JsonObject { ["method"] = "webauthn" }, cancellationToken).ConfigureAwait(false);
            return ChallengeProblem(rejection, "step-up");
        }
        var failure = await CheckAssertionAsync(caller.Identity, challenge!, response, webauthn, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            await AuditAsync("mfa.verify", caller.Actor, AuditOutcome.Failure, info, Target(caller.Identity), failure.Reason,
                new JsonObject { ["method"] = "webauthn" }, cancellationToken).ConfigureAwait(false);
            return WebAuthnFailed(StatusCodes.Status403Forbidden, failure.Detail);
        }
        var now = Now();
        await store.SetSessionMfaAsync(caller.Session.Id, now, cancellationToken).ConfigureAwait(false);
        var session = caller.Session with { MfaAt = now };
        sessions.Update(session, caller.Identity);
        await AuditAsync("mfa.verify", caller.Actor, AuditOutcome.Success, info, Target(caller.Identity),
            details: new JsonObject { ["method"] = "webauthn", ["session_id"] = session.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(ToDto(session, caller.Identity, session.Id));
    }

    // ---- shared ----

    /// <summary>
    /// The credential must be the identity's; the library verifies the assertion (origin, rp id hash, challenge, flags,
    /// signature, counter); the new counter is stored only if nobody else stored one meanwhile (compare-and-set), so two
    /// assertions from a cloned authenticator cannot both win. Nothing changes when a check fails.
    /// </summary>
    private async Task<WebAuthnFailure?> CheckAssertionAsync(IdentityRecord identity, WebAuthnChallenge challenge, AuthenticatorAssertionRawResponse response,
        WebAuthnService webauthn, CancellationToken cancellationToken)
    {
        var stored = await store.GetWebAuthnCredentialAsync(response.RawId, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.UserId != identity.Id)
            return new WebAuthnFailure("webauthn_unknown_credential", "this authenticator's credential is not registered to this account");
        var (result, failure) = await webauthn.VerifyAssertionAsync(challenge, response, stored, cancellationToken).ConfigureAwait(false);
        if (failure is not null) return failure;
        if (!await store.TryUpdateWebAuthnCounterAsync(stored.CredentialId, stored.SignCount, result!.SignCount, Now(), cancellationToken).ConfigureAwait(false))
            return new WebAuthnFailure("webauthn_counter_regression",
                "another assertion with this authenticator was accepted at the same time: the authenticator may have been cloned");
        return null;
    }

    private static IResult? RequireChallengeToken(string? token) =>
        string.IsNullOrEmpty(token) ? Problems.Validation("challenge_token", "is required (the challenge_token returned by the begin call)") : null;

    /// <summary>The audit reason and what is wrong with the challenge_token field (a phrase that follows the field name).</summary>
    private static (string Reason, string Message) ChallengeRejectionText(ChallengeRejection rejection, string ceremony) => rejection switch
    {
        ChallengeRejection.Expired => ("webauthn_challenge_expired", $"has expired (challenges are valid for 2 minutes); start again with {ceremony}/begin"),
        ChallengeRejection.Used => ("webauthn_challenge_reused", $"was used already; start again with {ceremony}/begin"),
        ChallengeRejection.WrongPurpose => ("webauthn_wrong_purpose", $"was not issued for {ceremony}"),
        ChallengeRejection.OtherIdentity => ("webauthn_other_user", "was issued to another user"),
        ChallengeRejection.Busy => ("webauthn_busy", "cannot be redeemed now: too many WebAuthn ceremonies in flight; retry shortly"),
        _ => ("webauthn_bad_token", "is not a challenge token issued by this server"),
    };

    /// <summary>A refused challenge token: 400 naming the field (503 when the used-token memory is full).</summary>
    private static IResult ChallengeProblem(ChallengeRejection rejection, string ceremony)
    {
        var (_, message) = ChallengeRejectionText(rejection, ceremony);
        return rejection == ChallengeRejection.Busy ? Problems.Busy("challenge_token " + message, TimeSpan.FromSeconds(5)) : Problems.Validation("challenge_token", message);
    }

    private static IResult WebAuthnFailed(int status, string detail) =>
        status == StatusCodes.Status401Unauthorized
            ? Problems.Unauthorized("webauthn-failed", "WebAuthn verification failed", detail)
            : Results.Problem(detail: detail, statusCode: status, type: Problems.Type("webauthn-failed"), title: "WebAuthn verification failed");

    private static IResult? CheckCredentialName(string? input, out string name)
    {
        name = input?.Trim() ?? "";
        if (name.Length == 0) return Problems.Validation("name", "is required (a label for the authenticator, e.g. yubikey-5)");
        if (name.Length > MaxCredentialNameLength) return Problems.Validation("name", $"is longer than {MaxCredentialNameLength} characters");
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsControl(name[i])) return Problems.Validation("name", "contains control characters");
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) i++;
            else if (char.IsSurrogate(name[i])) return Problems.Validation("name", "is not valid Unicode (unpaired surrogate)");
        }
        return null;
    }

    private static byte[]? DecodeCredentialId(string id)
    {
        if (id.Length is 0 or > 1400) return null;
        try
        {
            return Base64Url.DecodeFromChars(id);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static JsonElement ParseOptions(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static WebAuthnCredentialDto ToDto(WebAuthnCredentialRecord record) =>
        new(Base64Url.EncodeToString(record.CredentialId), record.Name, record.Aaguid.ToString("D"), AuditChain.FormatTime(record.CreatedAt), Format(record.LastUsedAt), record.SignCount);
}
