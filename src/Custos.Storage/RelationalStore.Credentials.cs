using System.Data.Common;
using Custos.Core.Crypto;
using Custos.Core.Identity;

namespace Custos.Storage;

/// <summary>
/// Passwords, TOTP, recovery codes and WebAuthn credentials. The one-time checks (TOTP step, recovery code, WebAuthn
/// counter) are single conditional UPDATEs: the database decides which of two concurrent uses wins.
/// </summary>
public abstract partial class RelationalStore
{
    private const string WebAuthnColumns = "credential_id, identity_id, public_key, sign_count, aaguid, name, created_at_us, last_used_at_us";

    public Task<PasswordCredential?> GetPasswordAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, "SELECT hash, changed_at_us FROM passwords WHERE identity_id = @user", ("user", userId))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new PasswordCredential(userId, reader.GetString(0), FromMicros(reader.GetInt64(1)))
                : null;
        }, cancellationToken);

    public async Task SetPasswordAsync(PasswordCredential password, CancellationToken cancellationToken) =>
        await RunAsync(command => UpsertPasswordAsync(command, password.UserId, password, cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<TotpCredential?> GetTotpAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command,
                "SELECT wrapped_key, ciphertext, confirmed, last_used_step, created_at_us FROM totp_credentials WHERE identity_id = @user", ("user", userId))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new TotpCredential(userId, new SealedSecret(Bytes(reader, 0), Bytes(reader, 1)), reader.GetBoolean(2), reader.GetInt64(3), FromMicros(reader.GetInt64(4)))
                : null;
        }, cancellationToken);

    public async Task ConfirmTotpAsync(string userId, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE totp_credentials SET confirmed = @confirmed WHERE identity_id = @user", ("confirmed", true), ("user", userId))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public async Task<bool> TryUseTotpStepAsync(string userId, long timeStep, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE totp_credentials SET last_used_step = @step WHERE identity_id = @user AND last_used_step < @step",
            ("step", timeStep), ("user", userId)).ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    public Task<IReadOnlyList<RecoveryCodeRecord>> ListRecoveryCodesAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<RecoveryCodeRecord>>(async command =>
        {
            var codes = new List<RecoveryCodeRecord>();
            await using var reader = await Sql(command, "SELECT id, code_hash, created_at_us, used_at_us FROM recovery_codes WHERE identity_id = @user", ("user", userId))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                codes.Add(new RecoveryCodeRecord(userId, reader.GetString(0), Bytes(reader, 1), FromMicros(reader.GetInt64(2)), NullableMicros(reader, 3)));
            return [.. codes.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal)];
        }, cancellationToken);

    public Task ReplaceRecoveryCodesAsync(string userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            await ReplaceRecoveryCodesCoreAsync(command, userId, codes, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    public async Task<bool> TryUseRecoveryCodeAsync(string userId, string codeId, DateTimeOffset usedAt, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE recovery_codes SET used_at_us = @used WHERE identity_id = @user AND id = @id AND used_at_us IS NULL",
            ("used", ToMicros(usedAt)), ("user", userId), ("id", codeId)).ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    public Task SetCredentialsAsync(string userId, CredentialSet credentials, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            await SetCredentialsCoreAsync(command, userId, credentials, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    // ---- WebAuthn ----

    public async Task<bool> TryAddWebAuthnCredentialAsync(WebAuthnCredentialRecord credential, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command,
            $"INSERT INTO webauthn_credentials ({WebAuthnColumns}) VALUES (@id, @user, @key, @count, @aaguid, @name, @created, @used) ON CONFLICT (credential_id) DO NOTHING",
            ("id", credential.CredentialId), ("user", credential.UserId), ("key", credential.PublicKey), ("count", (long)credential.SignCount),
            ("aaguid", credential.Aaguid.ToString("D")), ("name", credential.Name), ("created", ToMicros(credential.CreatedAt)), ("used", ToMicros(credential.LastUsedAt)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    public Task<IReadOnlyList<WebAuthnCredentialRecord>> ListWebAuthnCredentialsAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<WebAuthnCredentialRecord>>(async command =>
        {
            var list = new List<WebAuthnCredentialRecord>();
            await using var reader = await Sql(command, $"SELECT {WebAuthnColumns} FROM webauthn_credentials WHERE identity_id = @user ORDER BY created_at_us",
                ("user", userId)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(ReadWebAuthn(reader));
            return list;
        }, cancellationToken);

    public Task<WebAuthnCredentialRecord?> GetWebAuthnCredentialAsync(byte[] credentialId, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, $"SELECT {WebAuthnColumns} FROM webauthn_credentials WHERE credential_id = @id", ("id", credentialId))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadWebAuthn(reader) : null;
        }, cancellationToken);

    public async Task<bool> TryUpdateWebAuthnCounterAsync(byte[] credentialId, uint expectedCount, uint newCount, DateTimeOffset usedAt, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command,
            "UPDATE webauthn_credentials SET sign_count = @new, last_used_at_us = @used WHERE credential_id = @id AND sign_count = @expected",
            ("new", (long)newCount), ("used", ToMicros(usedAt)), ("id", credentialId), ("expected", (long)expectedCount))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    public async Task<bool> DeleteWebAuthnCredentialAsync(string userId, byte[] credentialId, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "DELETE FROM webauthn_credentials WHERE identity_id = @user AND credential_id = @id", ("user", userId), ("id", credentialId))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    // ---- helpers ----

    /// <summary>Applies a credential set inside the caller's transaction; the records' own user ids are ignored for <paramref name="userId"/>.</summary>
    private static async Task SetCredentialsCoreAsync(DbCommand command, string userId, CredentialSet credentials, CancellationToken cancellationToken)
    {
        if (credentials.Password is { } password) await UpsertPasswordAsync(command, userId, password, cancellationToken).ConfigureAwait(false);
        if (credentials.Totp is { } totp)
        {
            await Sql(command,
                "INSERT INTO totp_credentials (identity_id, wrapped_key, ciphertext, confirmed, last_used_step, created_at_us) VALUES (@user, @wrapped, @ciphertext, @confirmed, @step, @created) " +
                "ON CONFLICT (identity_id) DO UPDATE SET wrapped_key = excluded.wrapped_key, ciphertext = excluded.ciphertext, confirmed = excluded.confirmed, " +
                "last_used_step = excluded.last_used_step, created_at_us = excluded.created_at_us",
                ("user", userId), ("wrapped", totp.Secret.WrappedKey), ("ciphertext", totp.Secret.Ciphertext), ("confirmed", totp.Confirmed),
                ("step", totp.LastUsedStep), ("created", ToMicros(totp.CreatedAt))).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (credentials.RecoveryCodes is { } codes) await ReplaceRecoveryCodesCoreAsync(command, userId, codes, cancellationToken).ConfigureAwait(false);
        if (credentials.RemoveWebAuthn)
            await Sql(command, "DELETE FROM webauthn_credentials WHERE identity_id = @user", ("user", userId)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task<int> UpsertPasswordAsync(DbCommand command, string userId, PasswordCredential password, CancellationToken cancellationToken) =>
        Sql(command, "INSERT INTO passwords (identity_id, hash, changed_at_us) VALUES (@user, @hash, @changed) " +
            "ON CONFLICT (identity_id) DO UPDATE SET hash = excluded.hash, changed_at_us = excluded.changed_at_us",
            ("user", userId), ("hash", password.Hash), ("changed", ToMicros(password.ChangedAt))).ExecuteNonQueryAsync(cancellationToken);

    private static async Task ReplaceRecoveryCodesCoreAsync(DbCommand command, string userId, IReadOnlyList<RecoveryCodeRecord> codes, CancellationToken cancellationToken)
    {
        await Sql(command, "DELETE FROM recovery_codes WHERE identity_id = @user", ("user", userId)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var code in codes)
        {
            await Sql(command, "INSERT INTO recovery_codes (identity_id, id, code_hash, created_at_us, used_at_us) VALUES (@user, @id, @hash, @created, @used)",
                ("user", userId), ("id", code.Id), ("hash", code.CodeHash), ("created", ToMicros(code.CreatedAt)), ("used", ToMicros(code.UsedAt)))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static WebAuthnCredentialRecord ReadWebAuthn(DbDataReader r) =>
        new(Bytes(r, 0), r.GetString(1), Bytes(r, 2), checked((uint)r.GetInt64(3)), Guid.Parse(r.GetString(4)), r.GetString(5),
            FromMicros(r.GetInt64(6)), NullableMicros(r, 7));
}
