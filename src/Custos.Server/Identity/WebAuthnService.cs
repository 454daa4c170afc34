using System.Globalization;
using System.Text;
using System.Text.Json;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Server.Hosting;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;
using Fido2NetLib.Serialization;

namespace Custos.Server.Identity;

/// <summary>Why a WebAuthn ceremony failed: an audit reason code and a detail for the caller.</summary>
public sealed record WebAuthnFailure(string Reason, string Detail);

/// <summary>
/// WebAuthn (W3C Web Authentication Level 3) as a second factor. All attestation and assertion verification is the
/// Fido2 library's; this class builds the options, seals them into challenge tokens
/// (<see cref="WebAuthnChallengeTokens"/>), and turns the library's verdicts into audit reasons. Only attestation
/// "none" is asked for: Custos trusts the authenticator it enrolled, not its make.
/// </summary>
public sealed class WebAuthnService
{
    private readonly Fido2 _fido2;

    public WebAuthnService(CustosRuntime runtime, MasterKey masterKey, TimeProvider time)
    {
        var options = runtime.Options.Identity;
        IReadOnlyList<string> origins = options.WebAuthnOrigins.Count > 0
            ? options.WebAuthnOrigins
            : ["https://localhost:" + runtime.Options.Listen.Port.ToString(CultureInfo.InvariantCulture)];
        Configuration = new Fido2Configuration
        {
            RPID = options.WebAuthnRelyingPartyId,
            RPName = options.WebAuthnRelyingPartyName,
            Origins = new HashSet<string>(origins, StringComparer.Ordinal),
            Timeout = (uint)WebAuthnChallengeTokens.Lifetime.TotalMilliseconds,
        };
        _fido2 = new Fido2(Configuration);
        Tokens = new WebAuthnChallengeTokens(masterKey, time);
    }

    public Fido2Configuration Configuration { get; }

    public WebAuthnChallengeTokens Tokens { get; }

    /// <summary>The WebAuthn user handle of an identity: its id in UTF-8 (no personal data).</summary>
    public static byte[] UserHandle(string identityId) => Encoding.UTF8.GetBytes(identityId);

    /// <summary>Credential creation options (excluding the user's existing authenticators) and the token that finishes them.</summary>
    public (string Token, string OptionsJson) BeginRegistration(IdentityRecord identity, string name, IReadOnlyList<WebAuthnCredentialRecord> existing)
    {
        var options = _fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = UserHandle(identity.Id), Name = identity.Name, DisplayName = identity.DisplayName ?? identity.Name },
            ExcludeCredentials = [.. existing.Select(c => new PublicKeyCredentialDescriptor(c.CredentialId))],
            AuthenticatorSelection = new AuthenticatorSelection
            {
                UserVerification = UserVerificationRequirement.Preferred,
                ResidentKey = ResidentKeyRequirement.Discouraged,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        var json = options.ToJson();
        return (Tokens.Issue(WebAuthnPurpose.Register, identity.Id, json, name).Token, json);
    }

    /// <summary>Assertion options for the user's credentials, for a login or a step-up.</summary>
    public (string Token, string OptionsJson) BeginAssertion(WebAuthnPurpose purpose, IdentityRecord identity, IReadOnlyList<WebAuthnCredentialRecord> credentials)
    {
        var options = _fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [.. credentials.Select(c => new PublicKeyCredentialDescriptor(c.CredentialId))],
            UserVerification = UserVerificationRequirement.Preferred,
        });
        var json = options.ToJson();
        return (Tokens.Issue(purpose, identity.Id, json, null).Token, json);
    }

    /// <summary>Verifies an attestation against the options sealed in <paramref name="challenge"/>.</summary>
    public async Task<(RegisteredPublicKeyCredential? Credential, WebAuthnFailure? Failure)> VerifyRegistrationAsync(
        WebAuthnChallenge challenge, AuthenticatorAttestationRawResponse response, IIdentityStore store, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await _fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(challenge.OptionsJson),
                IsCredentialIdUniqueToUserCallback = async (p, ct) => await store.GetWebAuthnCredentialAsync(p.CredentialId, ct).ConfigureAwait(false) is null,
            }, cancellationToken).ConfigureAwait(false);
            return (credential, null);
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return (null, Classify(e));
        }
    }

    /// <summary>Verifies an assertion made with <paramref name="stored"/> against the options sealed in <paramref name="challenge"/>.</summary>
    public async Task<(VerifyAssertionResult? Result, WebAuthnFailure? Failure)> VerifyAssertionAsync(
        WebAuthnChallenge challenge, AuthenticatorAssertionRawResponse response, WebAuthnCredentialRecord stored, CancellationToken cancellationToken)
    {
        var handle = UserHandle(stored.UserId);
        try
        {
            var result = await _fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(challenge.OptionsJson),
                StoredPublicKey = stored.PublicKey,
                StoredSignatureCounter = stored.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(p.UserHandle.AsSpan().SequenceEqual(handle)),
            }, cancellationToken).ConfigureAwait(false);
            return (result, null);
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return (null, Classify(e));
        }
    }

    /// <summary>Parses the browser's PublicKeyCredential JSON (base64url members) and checks the members verification needs are there.</summary>
    public static (AuthenticatorAttestationRawResponse? Response, string? Error) ParseAttestation(JsonElement json)
    {
        if (Parse(json, j => j.Deserialize<AuthenticatorAttestationRawResponse>(), out var error) is not { } r) return (null, error);
        if (MissingCommon(r.Id, r.RawId) is { } missing) return (null, missing);
        if (r.Response is null) return (null, "response is required");
        if (r.Response.AttestationObject is not { Length: > 0 }) return (null, "response.attestationObject is required");
        if (r.Response.ClientDataJson is not { Length: > 0 }) return (null, "response.clientDataJSON is required");
        return (r, null);
    }

    public static (AuthenticatorAssertionRawResponse? Response, string? Error) ParseAssertion(JsonElement json)
    {
        if (Parse(json, j => j.Deserialize(FidoModelSerializerContext.Default.AuthenticatorAssertionRawResponse), out var error) is not { } r) return (null, error);
        if (MissingCommon(r.Id, r.RawId) is { } missing) return (null, missing);
        if (r.Response is null) return (null, "response is required");
        if (r.Response.AuthenticatorData is not { Length: > 0 }) return (null, "response.authenticatorData is required");
        if (r.Response.ClientDataJson is not { Length: > 0 }) return (null, "response.clientDataJSON is required");
        if (r.Response.Signature is not { Length: > 0 }) return (null, "response.signature is required");
        return (r, null);
    }

    private static T? Parse<T>(JsonElement json, Func<JsonElement, T?> deserialize, out string? error) where T : class
    {
        error = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = "must be a PublicKeyCredential JSON object";
            return null;
        }
        try
        {
            return deserialize(json) ?? throw new JsonException("null");
        }
        catch (Exception e) when (e is JsonException or FormatException or NotSupportedException)
        {
            var path = e is JsonException { Path: { } p } && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            const string Missing = "missing required properties including: ";
            var at = e.Message.IndexOf(Missing, StringComparison.Ordinal);
            if (at >= 0)
            {
                // System.Text.Json names the missing members (quoted, comma-separated) of the object at the path.
                var members = e.Message[(at + Missing.Length)..].TrimEnd('.').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(m => (path is null ? "" : path + ".") + m.Trim('\'', '"'));
                error = string.Join(", ", members) + " is required";
                return null;
            }
            error = "is not a PublicKeyCredential JSON object" + (path is null ? "" : $" (at {path})") + "; binary members are base64url";
            return null;
        }
    }

    private static string? MissingCommon(string? id, byte[]? rawId)
    {
        if (string.IsNullOrEmpty(id)) return "id is required";
        if (rawId is not { Length: > 0 }) return "rawId is required";
        return null;
    }

    /// <summary>
    /// Verification runs over hostile bytes (CBOR, COSE keys, DER signatures); the library reports most problems as
    /// <see cref="Fido2VerificationException"/> but a malformed structure can surface as a parser's own exception.
    /// All of them mean "this response does not verify"; cancellation, storage and audit failures are not swallowed.
    /// </summary>
    private static bool IsVerificationFailure(Exception e) =>
        e is Fido2VerificationException or System.Formats.Cbor.CborContentException or FormatException or ArgumentException
            or InvalidOperationException or System.Security.Cryptography.CryptographicException or NotSupportedException or OverflowException
            or IndexOutOfRangeException or KeyNotFoundException or InvalidCastException or JsonException;

    private WebAuthnFailure Classify(Exception e) => (e as Fido2VerificationException)?.Code switch
    {
        Fido2ErrorCode.InvalidAuthenticatorResponseOrigin or Fido2ErrorCode.MissingAuthenticatorResponseOrigin =>
            new("webauthn_bad_origin", $"the client data origin is not one of this server's WebAuthn origins ({string.Join(", ", Configuration.Origins)}; setting webauthn.origins)"),
        Fido2ErrorCode.CrossOriginRequestNotAllowed or Fido2ErrorCode.InvalidAuthenticatorResponseTopOrigin =>
            new("webauthn_cross_origin", "the ceremony ran in a cross-origin frame, which this server does not allow"),
        Fido2ErrorCode.InvalidRpidHash =>
            new("webauthn_bad_rp_id", $"the authenticator data is for another relying party (expected rp id {Configuration.RPID}; setting webauthn.rp_id)"),
        Fido2ErrorCode.InvalidSignature =>
            new("webauthn_bad_signature", "the assertion signature does not verify with the registered public key"),
        Fido2ErrorCode.InvalidSignCount =>
            new("webauthn_counter_regression", "the authenticator's signature counter did not increase: the authenticator may have been cloned; the credential was not accepted"),
        Fido2ErrorCode.InvalidAuthenticatorResponseChallenge or Fido2ErrorCode.MissingAuthenticatorResponseChallenge =>
            new("webauthn_bad_challenge", "the client data challenge is not the one issued with this challenge token"),
        Fido2ErrorCode.UserPresentFlagNotSet =>
            new("webauthn_user_not_present", "the authenticator did not report user presence"),
        Fido2ErrorCode.UserVerificationRequirementNotMet =>
            new("webauthn_user_not_verified", "the authenticator did not verify the user"),
        Fido2ErrorCode.NonUniqueCredentialId =>
            new("webauthn_credential_exists", "this authenticator's credential is registered already"),
        Fido2ErrorCode.UnimplementedAlgorithm or Fido2ErrorCode.CredentialAlgorithmRequirementNotMet =>
            new("webauthn_unsupported_algorithm", "the credential's public key algorithm is not one this server offered"),
        _ => new("webauthn_invalid_response", "the authenticator response is malformed or does not match the ceremony: " + ClipMessage(e.Message)),
    };

    private static string ClipMessage(string message) => message.Length > 200 ? message[..200] : message;
}
