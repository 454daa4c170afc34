using System.Text.Json;

namespace Custos.Server.Api.Identity;

// The wire contract of the WebAuthn API (snake_case members). Options and responses are the W3C WebAuthn JSON
// forms (camelCase, binary members base64url) passed through untouched: options straight to
// navigator.credentials.create()/get(), responses as PublicKeyCredential.toJSON() produces them. docs/webauthn.md.

/// <summary><c>POST /v1/auth/webauthn/register/begin</c>: a name for the authenticator (1–64 characters).</summary>
public sealed record WebAuthnRegisterBeginRequest(string? Name);

/// <summary>The start of a ceremony: the options for the browser and the token that finishes it (valid 2 minutes, once).</summary>
public sealed record WebAuthnBeginResponse(string ChallengeToken, JsonElement Options);

/// <summary><c>POST /v1/auth/webauthn/register/finish</c>: <see cref="Name"/> overrides the one given to begin.</summary>
public sealed record WebAuthnRegisterFinishRequest(string? ChallengeToken, string? Name, JsonElement? Response);

/// <summary><c>POST /v1/auth/webauthn/login/begin</c>: the same password check as <c>/v1/auth/login</c>.</summary>
public sealed record WebAuthnLoginBeginRequest(string? User, string? Password);

/// <summary>Finishing a login or a step-up: the token from begin and the authenticator's assertion.</summary>
public sealed record WebAuthnAssertionFinishRequest(string? ChallengeToken, JsonElement? Response);
