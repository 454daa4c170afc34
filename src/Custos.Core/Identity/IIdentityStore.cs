namespace Custos.Core.Identity;

/// <summary>Outcome of a guarded identity update.</summary>
public enum IdentityUpdateResult
{
    Updated,

    /// <summary>No identity with that id.</summary>
    NotFound,

    /// <summary>The stored revision differs from the expected one (someone else changed it).</summary>
    Stale,

    /// <summary>The name is taken (case-insensitively) by another identity.</summary>
    NameTaken,

    /// <summary>The change would leave no active administrator.</summary>
    LastAdministrator,
}

/// <summary>Outcome of <see cref="IIdentityStore.BootstrapAsync"/>.</summary>
public enum BootstrapResult
{
    Created,

    /// <summary>The token is unknown, used, replaced or expired.</summary>
    TokenInvalid,

    /// <summary>An administrator already exists (bootstrap completed).</summary>
    AlreadyBootstrapped,

    NameTaken,
}

/// <summary>Credentials set together when an invitation is accepted or an administrator is bootstrapped.</summary>
public sealed record CredentialSet(
    PasswordCredential? Password,
    TotpCredential? Totp,
    IReadOnlyList<RecoveryCodeRecord>? RecoveryCodes,
    bool RemoveWebAuthn = false);

/// <summary>
/// Storage of identities, credentials, sessions, invitations, bot credentials and login throttling. Every method
/// that changes several rows does so in one transaction. Names are looked up by <see cref="IdentityRecord.NameKey"/>.
/// Implementations throw <c>StorageException</c> when the database cannot be reached (callers fail closed).
/// </summary>
public interface IIdentityStore
{
    // ---- identities ----

    /// <summary>Creates an identity; false when the name key is taken.</summary>
    Task<bool> TryCreateIdentityAsync(IdentityRecord identity, CancellationToken cancellationToken);

    /// <summary>Creates an identity and its first invitation (or bot join token) in one transaction; false when the name is taken.</summary>
    Task<bool> TryCreateIdentityWithInvitationAsync(IdentityRecord identity, InvitationRecord invitation, CancellationToken cancellationToken);

    Task<IdentityRecord?> GetIdentityAsync(string id, CancellationToken cancellationToken);

    Task<IdentityRecord?> GetIdentityByNameAsync(string nameKey, CancellationToken cancellationToken);

    /// <summary>All identities ordered by name key, optionally of one kind.</summary>
    Task<IReadOnlyList<IdentityRecord>> ListIdentitiesAsync(IdentityKind? kind, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the identity's mutable fields (display name, email, status, roles, traits) when its stored revision
    /// is <paramref name="expectedRevision"/>; the stored revision becomes expectedRevision + 1. Refuses, atomically,
    /// a change that would leave no active administrator (status not active, or admin role removed, on the last one).
    /// When the new status is not active, every session of the identity is revoked in the same transaction.
    /// </summary>
    Task<IdentityUpdateResult> UpdateIdentityAsync(IdentityRecord identity, long expectedRevision, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes the identity with its credentials, sessions and invitations; refuses the last active administrator.</summary>
    Task<IdentityUpdateResult> DeleteIdentityAsync(string id, CancellationToken cancellationToken);

    Task SetLastLoginAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Active identities holding the admin role.</summary>
    Task<int> CountActiveAdministratorsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates the first administrator in one transaction: consumes the bootstrap token <paramref name="tokenId"/>
    /// (unused, unexpired), refuses when bootstrap has completed (setting <c>bootstrap.completed_at</c>) or an
    /// administrator exists, creates the identity and its credentials, and records <c>bootstrap.completed_at</c>.
    /// </summary>
    Task<BootstrapResult> BootstrapAsync(string tokenId, IdentityRecord admin, CredentialSet credentials, DateTimeOffset now, CancellationToken cancellationToken);

    // ---- credentials ----

    Task<PasswordCredential?> GetPasswordAsync(string userId, CancellationToken cancellationToken);

    Task SetPasswordAsync(PasswordCredential password, CancellationToken cancellationToken);

    Task<TotpCredential?> GetTotpAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Marks the TOTP enrolment confirmed (the first successful login with a code).</summary>
    Task ConfirmTotpAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a code for <paramref name="timeStep"/> was accepted, only if no code for this or a later step was
    /// accepted before (atomic compare-and-set). False means a replay: refuse the code.
    /// </summary>
    Task<bool> TryUseTotpStepAsync(string userId, long timeStep, CancellationToken cancellationToken);

    Task<IReadOnlyList<RecoveryCodeRecord>> ListRecoveryCodesAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Replaces every recovery code of the user.</summary>
    Task ReplaceRecoveryCodesAsync(string userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken);

    /// <summary>Marks a recovery code used if it is unused; false when it was used already.</summary>
    Task<bool> TryUseRecoveryCodeAsync(string userId, string codeId, DateTimeOffset usedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the given credentials of a user in one transaction (null members are left alone; a TOTP credential
    /// replaces the old one; recovery codes replace all old ones; <see cref="CredentialSet.RemoveWebAuthn"/> deletes
    /// every WebAuthn credential).
    /// </summary>
    Task SetCredentialsAsync(string userId, CredentialSet credentials, CancellationToken cancellationToken);

    // ---- WebAuthn ----

    /// <summary>Adds a credential; false when the credential id is registered already.</summary>
    Task<bool> TryAddWebAuthnCredentialAsync(WebAuthnCredentialRecord credential, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebAuthnCredentialRecord>> ListWebAuthnCredentialsAsync(string userId, CancellationToken cancellationToken);

    Task<WebAuthnCredentialRecord?> GetWebAuthnCredentialAsync(byte[] credentialId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the authenticator's new signature counter only if the stored one is still <paramref name="expectedCount"/>
    /// (concurrent assertions cannot both win); false otherwise.
    /// </summary>
    Task<bool> TryUpdateWebAuthnCounterAsync(byte[] credentialId, uint expectedCount, uint newCount, DateTimeOffset usedAt, CancellationToken cancellationToken);

    Task<bool> DeleteWebAuthnCredentialAsync(string userId, byte[] credentialId, CancellationToken cancellationToken);

    // ---- sessions ----

    Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken);

    Task<SessionRecord?> GetSessionByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken);

    Task<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken);

    /// <summary>Sessions, newest first; of one user when <paramref name="userId"/> is given; only unexpired, unrevoked ones unless <paramref name="includeEnded"/>.</summary>
    Task<IReadOnlyList<SessionRecord>> ListSessionsAsync(string? userId, bool includeEnded, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Revokes a session that is not revoked yet; false when it does not exist or was revoked already.</summary>
    Task<bool> RevokeSessionAsync(string id, DateTimeOffset at, string reason, CancellationToken cancellationToken);

    /// <summary>Revokes every unrevoked session of a user (optionally all but one); returns how many.</summary>
    Task<int> RevokeUserSessionsAsync(string userId, DateTimeOffset at, string reason, string? exceptSessionId, CancellationToken cancellationToken);

    /// <summary>Ids of sessions revoked at or after <paramref name="since"/> (other instances poll this to drop cached sessions).</summary>
    Task<IReadOnlyList<string>> ListSessionsRevokedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);

    Task SetSessionMfaAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Deletes sessions that ended before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeSessionsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    // ---- invitations and join tokens ----

    /// <summary>Stores an invitation and invalidates the user's earlier unused invitations of the same purpose.</summary>
    Task CreateInvitationAsync(InvitationRecord invitation, CancellationToken cancellationToken);

    Task<InvitationRecord?> GetInvitationAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Consumes an unused, unexpired invitation and applies <paramref name="credentials"/> and (when given) the
    /// identity status in one transaction; false when it was used, replaced or expired (nothing changes then).
    /// </summary>
    Task<bool> TryAcceptInvitationAsync(string invitationId, DateTimeOffset now, CredentialSet credentials, IdentityStatus? newStatus, CancellationToken cancellationToken);

    // ---- bot credentials ----

    Task<BotCredentialRecord?> GetBotCredentialAsync(string userId, long generation, CancellationToken cancellationToken);

    /// <summary>The newest generation of the bot's credential, or null before it joined.</summary>
    Task<BotCredentialRecord?> GetLatestBotCredentialAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// Consumes the join token and stores generation 1 (with its session) in one transaction; false when the token
    /// was used, replaced or expired.
    /// </summary>
    Task<bool> TryJoinBotAsync(string invitationId, BotCredentialRecord first, SessionRecord session, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Stores generation <c>renewed.Generation</c> (= current + 1) with its session only if the newest stored generation
    /// is still <c>renewed.Generation - 1</c>; false when another renewal won.
    /// </summary>
    Task<bool> TryRenewBotCredentialAsync(BotCredentialRecord renewed, SessionRecord session, CancellationToken cancellationToken);

    // ---- throttling ----

    Task<ThrottleRecord?> GetThrottleAsync(string key, CancellationToken cancellationToken);

    Task PutThrottleAsync(ThrottleRecord record, CancellationToken cancellationToken);

    /// <summary>Deletes the throttling records whose key equals <paramref name="key"/> or starts with <paramref name="key"/> followed by <c>|</c>.</summary>
    Task<int> ClearThrottleAsync(string key, CancellationToken cancellationToken);

    /// <summary>Remembers that the user logged in successfully from <paramref name="sourceIp"/>.</summary>
    Task RecordKnownSourceAsync(string userId, string sourceIp, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>When the user last logged in successfully from <paramref name="sourceIp"/>, or null.</summary>
    Task<DateTimeOffset?> GetKnownSourceAsync(string userId, string sourceIp, CancellationToken cancellationToken);
}
