using System.Data.Common;
using Custos.Core.Identity;

namespace Custos.Storage;

/// <summary>
/// Sessions, invitations and join tokens, bot credentials, login throttling and known login sources. One-time tokens
/// are consumed by a conditional UPDATE inside the transaction that applies their effect, so a token either does
/// everything once or nothing.
/// </summary>
public abstract partial class RelationalStore
{
    private const string SessionColumns =
        "id, identity_id, token_hash, kind, created_at_us, expires_at_us, mfa_at_us, source_ip, user_agent, revoked_at_us, revoked_reason";

    private const string InvitationColumns = "id, identity_id, purpose, token_hash, created_by, created_at_us, expires_at_us, used_at_us";

    private const string BotCredentialColumns = "identity_id, generation, secret_hash, issued_at_us, expires_at_us, ttl_us";

    // ---- sessions ----

    public async Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken) =>
        await RunAsync(command => InsertSessionAsync(command, session, cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<SessionRecord?> GetSessionByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken) =>
        RunAsync(command => FindSessionAsync(Sql(command, $"SELECT {SessionColumns} FROM sessions WHERE token_hash = @hash", ("hash", tokenHash)), cancellationToken),
            cancellationToken);

    public Task<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken) =>
        RunAsync(command => FindSessionAsync(Sql(command, $"SELECT {SessionColumns} FROM sessions WHERE id = @id", ("id", id)), cancellationToken), cancellationToken);

    public Task<IReadOnlyList<SessionRecord>> ListSessionsAsync(string? userId, bool includeEnded, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SessionRecord>>(async command =>
        {
            var where = (userId is null, includeEnded) switch
            {
                (true, true) => "",
                (true, false) => " WHERE revoked_at_us IS NULL AND expires_at_us > @now",
                (false, true) => " WHERE identity_id = @user",
                (false, false) => " WHERE identity_id = @user AND revoked_at_us IS NULL AND expires_at_us > @now",
            };
            Sql(command, $"SELECT {SessionColumns} FROM sessions{where} ORDER BY created_at_us DESC, id DESC");
            if (userId is not null) Add(command, "user", userId);
            if (!includeEnded) Add(command, "now", ToMicros(now));
            var list = new List<SessionRecord>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(ReadSession(reader));
            return list;
        }, cancellationToken);

    public async Task<bool> RevokeSessionAsync(string id, DateTimeOffset at, string reason, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE sessions SET revoked_at_us = @at, revoked_reason = @reason WHERE id = @id AND revoked_at_us IS NULL",
            ("at", ToMicros(at)), ("reason", reason), ("id", id)).ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;

    public Task<int> RevokeUserSessionsAsync(string userId, DateTimeOffset at, string reason, string? exceptSessionId, CancellationToken cancellationToken) =>
        RunAsync(command =>
        {
            if (exceptSessionId is null) return RevokeAllSessionsAsync(command, userId, at, reason, cancellationToken);
            return Sql(command, "UPDATE sessions SET revoked_at_us = @at, revoked_reason = @reason WHERE identity_id = @user AND revoked_at_us IS NULL AND id <> @except",
                ("at", ToMicros(at)), ("reason", reason), ("user", userId), ("except", exceptSessionId)).ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListSessionsRevokedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<string>>(async command =>
        {
            var ids = new List<string>();
            await using var reader = await Sql(command, "SELECT id FROM sessions WHERE revoked_at_us >= @since ORDER BY revoked_at_us", ("since", ToMicros(since)))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            return ids;
        }, cancellationToken);

    public async Task SetSessionMfaAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE sessions SET mfa_at_us = @at WHERE id = @id", ("at", ToMicros(at)), ("id", id))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<int> PurgeSessionsAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        RunAsync(command => Sql(command, "DELETE FROM sessions WHERE expires_at_us < @before OR revoked_at_us < @before", ("before", ToMicros(before)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken);

    // ---- invitations and join tokens ----

    public Task CreateInvitationAsync(InvitationRecord invitation, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            // A no-op update takes the identity's row lock on PostgreSQL: two concurrent invitations for one user and
            // purpose cannot both survive. (SQLite write transactions exclude each other already.)
            await Sql(command, "UPDATE identities SET revision = revision WHERE id = @user", ("user", invitation.UserId)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await InsertInvitationAsync(command, invitation, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    public Task<InvitationRecord?> GetInvitationAsync(string id, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, $"SELECT {InvitationColumns} FROM invitations WHERE id = @id", ("id", id))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            var invitationId = reader.GetString(0);
            return new InvitationRecord(invitationId, reader.GetString(1), IdentityRows.ParsePurpose(invitationId, reader.GetString(2)), Bytes(reader, 3),
                reader.GetString(4), FromMicros(reader.GetInt64(5)), FromMicros(reader.GetInt64(6)), NullableMicros(reader, 7));
        }, cancellationToken);

    public Task<bool> TryAcceptInvitationAsync(string invitationId, DateTimeOffset now, CredentialSet credentials, IdentityStatus? newStatus, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            var deactivates = newStatus is { } s && s != IdentityStatus.Active;
            if (deactivates) await LockAdministratorsAsync(command, cancellationToken).ConfigureAwait(false);
            // Join tokens are consumed only by TryJoinBotAsync.
            var userId = await Sql(command,
                "UPDATE invitations SET used_at_us = @now WHERE id = @id AND used_at_us IS NULL AND expires_at_us > @now AND purpose <> @join RETURNING identity_id",
                ("now", ToMicros(now)), ("id", invitationId), ("join", InvitationPurpose.BotJoin.ToName())).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            if (userId is null) return Rollback(false);
            await SetCredentialsCoreAsync(command, userId, credentials, cancellationToken).ConfigureAwait(false);
            if (newStatus is { } status)
            {
                // Never leaves the installation without an active administrator: refused like an unusable invitation.
                if (deactivates && await ReadIdentityStateAsync(command, userId, cancellationToken).ConfigureAwait(false) is { IsActiveAdministrator: true } &&
                    await IsLastActiveAdministratorAsync(command, userId, cancellationToken).ConfigureAwait(false))
                    return Rollback(false);
                await Sql(command, "UPDATE identities SET status = @status, revision = revision + 1 WHERE id = @user", ("status", status.ToName()), ("user", userId))
                    .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (deactivates)
                    await RevokeAllSessionsAsync(command, userId, now, "identity " + status.ToName(), cancellationToken).ConfigureAwait(false);
            }
            return Commit(true);
        }, cancellationToken);

    // ---- bot credentials ----

    public Task<BotCredentialRecord?> GetBotCredentialAsync(string userId, long generation, CancellationToken cancellationToken) =>
        RunAsync(command => FindBotCredentialAsync(Sql(command, $"SELECT {BotCredentialColumns} FROM bot_credentials WHERE identity_id = @user AND generation = @generation",
            ("user", userId), ("generation", generation)), cancellationToken), cancellationToken);

    public Task<BotCredentialRecord?> GetLatestBotCredentialAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(command => FindBotCredentialAsync(Sql(command, $"SELECT {BotCredentialColumns} FROM bot_credentials WHERE identity_id = @user ORDER BY generation DESC LIMIT 1",
            ("user", userId)), cancellationToken), cancellationToken);

    public Task<bool> TryJoinBotAsync(string invitationId, BotCredentialRecord first, SessionRecord session, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            var consumed = await Sql(command,
                "UPDATE invitations SET used_at_us = @now WHERE id = @id AND identity_id = @user AND purpose = @join AND used_at_us IS NULL AND expires_at_us > @now",
                ("now", ToMicros(now)), ("id", invitationId), ("user", first.UserId), ("join", InvitationPurpose.BotJoin.ToName()))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (consumed != 1) return Rollback(false);
            // A join token issued by an administrator starts the credential chain afresh (re-provisioning a bot whose
            // credential was lost): earlier generations stop working.
            await Sql(command, "DELETE FROM bot_credentials WHERE identity_id = @user", ("user", first.UserId)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await InsertBotCredentialAsync(command, first, onlyAfterPrevious: false, cancellationToken).ConfigureAwait(false);
            await InsertSessionAsync(command, session, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    public Task<bool> TryRenewBotCredentialAsync(BotCredentialRecord renewed, SessionRecord session, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            // Compare-and-set: inserted only while the newest generation is the one being renewed; of two concurrent
            // renewals of the same generation, the second hits the primary key and inserts nothing.
            var inserted = await InsertBotCredentialAsync(command, renewed, onlyAfterPrevious: true, cancellationToken).ConfigureAwait(false);
            if (!inserted) return Rollback(false);
            await InsertSessionAsync(command, session, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    // ---- throttling and known sources ----

    public Task<ThrottleRecord?> GetThrottleAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command,
                "SELECT failures, window_start_us, locked_until_us, lockouts, updated_at_us FROM login_throttle WHERE key = @key", ("key", key))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new ThrottleRecord(key, reader.GetInt32(0), FromMicros(reader.GetInt64(1)), NullableMicros(reader, 2), reader.GetInt32(3), FromMicros(reader.GetInt64(4)))
                : null;
        }, cancellationToken);

    public async Task PutThrottleAsync(ThrottleRecord record, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command,
            "INSERT INTO login_throttle (key, failures, window_start_us, locked_until_us, lockouts, updated_at_us) VALUES (@key, @failures, @window, @locked, @lockouts, @updated) " +
            "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start_us = excluded.window_start_us, locked_until_us = excluded.locked_until_us, " +
            "lockouts = excluded.lockouts, updated_at_us = excluded.updated_at_us",
            ("key", record.Key), ("failures", record.Failures), ("window", ToMicros(record.WindowStart)), ("locked", ToMicros(record.LockedUntil)),
            ("lockouts", record.Lockouts), ("updated", ToMicros(record.UpdatedAt))).ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<int> ClearThrottleAsync(string key, CancellationToken cancellationToken) =>
        // substr, not LIKE: keys may contain % and _.
        RunAsync(command => Sql(command, "DELETE FROM login_throttle WHERE key = @key OR substr(key, 1, @length) = @prefix",
            ("key", key), ("length", key.Length + 1), ("prefix", key + "|")).ExecuteNonQueryAsync(cancellationToken), cancellationToken);

    public async Task RecordKnownSourceAsync(string userId, string sourceIp, DateTimeOffset at, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command,
            "INSERT INTO known_sources (identity_id, source_ip, last_seen_at_us) VALUES (@user, @ip, @at) " +
            "ON CONFLICT (identity_id, source_ip) DO UPDATE SET last_seen_at_us = excluded.last_seen_at_us",
            ("user", userId), ("ip", sourceIp), ("at", ToMicros(at))).ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<DateTimeOffset?> GetKnownSourceAsync(string userId, string sourceIp, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            var value = await Sql(command, "SELECT last_seen_at_us FROM known_sources WHERE identity_id = @user AND source_ip = @ip", ("user", userId), ("ip", sourceIp))
                .ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? (DateTimeOffset?)null : FromMicros(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        }, cancellationToken);

    // ---- helpers ----

    private static Task<int> InsertSessionAsync(DbCommand command, SessionRecord s, CancellationToken cancellationToken) =>
        Sql(command, $"INSERT INTO sessions ({SessionColumns}) VALUES (@id, @user, @hash, @kind, @created, @expires, @mfa, @ip, @agent, @revoked, @reason)",
            ("id", s.Id), ("user", s.UserId), ("hash", s.TokenHash), ("kind", s.Kind.ToName()), ("created", ToMicros(s.CreatedAt)), ("expires", ToMicros(s.ExpiresAt)),
            ("mfa", ToMicros(s.MfaAt)), ("ip", s.SourceIp), ("agent", s.UserAgent), ("revoked", ToMicros(s.RevokedAt)), ("reason", s.RevokedReason))
            .ExecuteNonQueryAsync(cancellationToken);

    private static Task<int> RevokeAllSessionsAsync(DbCommand command, string userId, DateTimeOffset at, string reason, CancellationToken cancellationToken) =>
        Sql(command, "UPDATE sessions SET revoked_at_us = @at, revoked_reason = @reason WHERE identity_id = @user AND revoked_at_us IS NULL",
            ("at", ToMicros(at)), ("reason", reason), ("user", userId)).ExecuteNonQueryAsync(cancellationToken);

    private static async Task<SessionRecord?> FindSessionAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSession(reader) : null;
    }

    private static SessionRecord ReadSession(DbDataReader r)
    {
        var id = r.GetString(0);
        return new SessionRecord(id, r.GetString(1), Bytes(r, 2), IdentityRows.ParseSessionKind(id, r.GetString(3)), FromMicros(r.GetInt64(4)),
            FromMicros(r.GetInt64(5)), NullableMicros(r, 6), NullableString(r, 7), NullableString(r, 8), NullableMicros(r, 9), NullableString(r, 10));
    }

    /// <summary>Stores an invitation after deleting the user's unused invitations of the same purpose (only the newest works).</summary>
    private static async Task InsertInvitationAsync(DbCommand command, InvitationRecord invitation, CancellationToken cancellationToken)
    {
        await Sql(command, "DELETE FROM invitations WHERE identity_id = @user AND purpose = @purpose AND used_at_us IS NULL",
            ("user", invitation.UserId), ("purpose", invitation.Purpose.ToName())).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await Sql(command, $"INSERT INTO invitations ({InvitationColumns}) VALUES (@id, @user, @purpose, @hash, @by, @created, @expires, @used)",
            ("id", invitation.Id), ("user", invitation.UserId), ("purpose", invitation.Purpose.ToName()), ("hash", invitation.TokenHash), ("by", invitation.CreatedBy),
            ("created", ToMicros(invitation.CreatedAt)), ("expires", ToMicros(invitation.ExpiresAt)), ("used", ToMicros(invitation.UsedAt)))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts one generation unless it exists; with <paramref name="onlyAfterPrevious"/>, only while the newest stored
    /// generation is the one before it.
    /// </summary>
    private static async Task<bool> InsertBotCredentialAsync(DbCommand command, BotCredentialRecord c, bool onlyAfterPrevious, CancellationToken cancellationToken)
    {
        // SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (else it parses ON as a join constraint).
        Sql(command, onlyAfterPrevious
            ? $"INSERT INTO bot_credentials ({BotCredentialColumns}) SELECT @user, @generation, @hash, @issued, @expires, @ttl " +
              "WHERE (SELECT MAX(generation) FROM bot_credentials WHERE identity_id = @user) = @previous ON CONFLICT (identity_id, generation) DO NOTHING"
            : $"INSERT INTO bot_credentials ({BotCredentialColumns}) SELECT @user, @generation, @hash, @issued, @expires, @ttl " +
              "WHERE 1 = 1 ON CONFLICT (identity_id, generation) DO NOTHING",
            ("user", c.UserId), ("generation", c.Generation), ("hash", c.SecretHash), ("issued", ToMicros(c.IssuedAt)), ("expires", ToMicros(c.ExpiresAt)),
            ("ttl", c.Ttl.Ticks / TimeSpan.TicksPerMicrosecond));
        if (onlyAfterPrevious) Add(command, "previous", c.Generation - 1);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static async Task<BotCredentialRecord?> FindBotCredentialAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new BotCredentialRecord(reader.GetString(0), reader.GetInt64(1), Bytes(reader, 2), FromMicros(reader.GetInt64(3)), FromMicros(reader.GetInt64(4)),
            TimeSpan.FromTicks(reader.GetInt64(5) * TimeSpan.TicksPerMicrosecond));
    }
}
