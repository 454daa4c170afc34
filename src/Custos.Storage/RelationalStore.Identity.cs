using System.Data.Common;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Core.Installation;

namespace Custos.Storage;

/// <summary>
/// Identities and bootstrap. Every change that could leave no active administrator (update, delete, bootstrap)
/// runs under <see cref="LockAdministratorsAsync"/>, so the check and the write are atomic across instances.
/// </summary>
public abstract partial class RelationalStore
{
    private const string IdentityColumns =
        "id, name, name_key, display_name, email, kind, status, traits, created_at_us, last_login_at_us, revision";

    private const string CountActiveAdministratorsSql =
        "SELECT COUNT(*) FROM identities i JOIN identity_roles r ON r.identity_id = i.id WHERE r.role = @admin AND i.status = @active";

    public Task<bool> TryCreateIdentityAsync(IdentityRecord identity, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await InsertIdentityAsync(command, identity, cancellationToken).ConfigureAwait(false) ? Commit(true) : Rollback(false),
            cancellationToken);

    public Task<bool> TryCreateIdentityWithInvitationAsync(IdentityRecord identity, InvitationRecord invitation, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            if (!await InsertIdentityAsync(command, identity, cancellationToken).ConfigureAwait(false)) return Rollback(false);
            await InsertInvitationAsync(command, invitation, cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);

    public Task<IdentityRecord?> GetIdentityAsync(string id, CancellationToken cancellationToken) =>
        RunAsync(command => FindIdentityAsync(command, $"SELECT {IdentityColumns} FROM identities WHERE id = @v", id, cancellationToken), cancellationToken);

    public Task<IdentityRecord?> GetIdentityByNameAsync(string nameKey, CancellationToken cancellationToken) =>
        RunAsync(command => FindIdentityAsync(command, $"SELECT {IdentityColumns} FROM identities WHERE name_key = @v", nameKey, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<IdentityRecord>> ListIdentitiesAsync(IdentityKind? kind, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<IdentityRecord>>(async command =>
        {
            var kindName = kind?.ToName();
            var identities = new List<IdentityRecord>();
            await using (var reader = await (kindName is null
                ? Sql(command, $"SELECT {IdentityColumns} FROM identities")
                : Sql(command, $"SELECT {IdentityColumns} FROM identities WHERE kind = @kind", ("kind", kindName))).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) identities.Add(ReadIdentity(reader));
            }
            var roles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            await using (var reader = await (kindName is null
                ? Sql(command, "SELECT identity_id, role FROM identity_roles")
                : Sql(command, "SELECT r.identity_id, r.role FROM identity_roles r JOIN identities i ON i.id = r.identity_id WHERE i.kind = @kind", ("kind", kindName)))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var id = reader.GetString(0);
                    if (!roles.TryGetValue(id, out var list)) roles[id] = list = [];
                    list.Add(reader.GetString(1));
                }
            }
            // Ordinal order in code: PostgreSQL's ORDER BY follows the database collation.
            return [.. identities
                .Select(i => i with { Roles = roles.TryGetValue(i.Id, out var list) ? SortedRoles(list) : [] })
                .OrderBy(i => i.NameKey, StringComparer.Ordinal)];
        }, cancellationToken);

    public Task<IdentityUpdateResult> UpdateIdentityAsync(IdentityRecord identity, long expectedRevision, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            await LockAdministratorsAsync(command, cancellationToken).ConfigureAwait(false);
            if (await ReadIdentityStateAsync(command, identity.Id, cancellationToken).ConfigureAwait(false) is not { } current)
                return Rollback(IdentityUpdateResult.NotFound);
            if (current.Revision != expectedRevision) return Rollback(IdentityUpdateResult.Stale);
            if (!string.Equals(current.NameKey, identity.NameKey, StringComparison.Ordinal) &&
                await ScalarInt64Async(Sql(command, "SELECT COUNT(*) FROM identities WHERE name_key = @key AND id <> @id",
                    ("key", identity.NameKey), ("id", identity.Id)), cancellationToken).ConfigureAwait(false) > 0)
                return Rollback(IdentityUpdateResult.NameTaken);
            var staysActiveAdministrator = identity.Status == IdentityStatus.Active && identity.IsAdmin;
            if (current.IsActiveAdministrator && !staysActiveAdministrator &&
                await IsLastActiveAdministratorAsync(command, identity.Id, cancellationToken).ConfigureAwait(false))
                return Rollback(IdentityUpdateResult.LastAdministrator);
            try
            {
                var updated = await Sql(command,
                    "UPDATE identities SET name = @name, name_key = @key, display_name = @display, email = @email, status = @status, traits = @traits, " +
                    "revision = @next WHERE id = @id AND revision = @expected",
                    ("name", identity.Name), ("key", identity.NameKey), ("display", identity.DisplayName), ("email", identity.Email),
                    ("status", identity.Status.ToName()), ("traits", IdentityRows.WriteTraits(identity.Traits)),
                    ("next", expectedRevision + 1), ("id", identity.Id), ("expected", expectedRevision)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (updated != 1) return Rollback(IdentityUpdateResult.Stale);
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                // A concurrent create took the new name between the check and the update.
                return Rollback(IdentityUpdateResult.NameTaken);
            }
            await Sql(command, "DELETE FROM identity_roles WHERE identity_id = @id", ("id", identity.Id)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await InsertRolesAsync(command, identity.Id, identity.Roles, cancellationToken).ConfigureAwait(false);
            if (identity.Status != IdentityStatus.Active)
                await RevokeAllSessionsAsync(command, identity.Id, now, "identity " + identity.Status.ToName(), cancellationToken).ConfigureAwait(false);
            return Commit(IdentityUpdateResult.Updated);
        }, cancellationToken);

    public Task<IdentityUpdateResult> DeleteIdentityAsync(string id, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            await LockAdministratorsAsync(command, cancellationToken).ConfigureAwait(false);
            if (await ReadIdentityStateAsync(command, id, cancellationToken).ConfigureAwait(false) is not { } current)
                return Rollback(IdentityUpdateResult.NotFound);
            if (current.IsActiveAdministrator && await IsLastActiveAdministratorAsync(command, id, cancellationToken).ConfigureAwait(false))
                return Rollback(IdentityUpdateResult.LastAdministrator);
            // Credentials, sessions, invitations, bot credentials and known sources go with it (ON DELETE CASCADE).
            await Sql(command, "DELETE FROM identities WHERE id = @id", ("id", id)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return Commit(IdentityUpdateResult.Updated);
        }, cancellationToken);

    public async Task SetLastLoginAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE identities SET last_login_at_us = @at WHERE id = @id", ("at", ToMicros(at)), ("id", id))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public async Task<int> CountActiveAdministratorsAsync(CancellationToken cancellationToken) =>
        (int)await RunAsync(command => ScalarInt64Async(Sql(command, CountActiveAdministratorsSql,
            ("admin", BuiltInRoles.Admin), ("active", IdentityStatus.Active.ToName())), cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<BootstrapResult> BootstrapAsync(string tokenId, IdentityRecord admin, CredentialSet credentials, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!admin.IsAdmin || admin.Status != IdentityStatus.Active)
            throw new ArgumentException("the bootstrap identity must be active and hold the admin role", nameof(admin));
        return RunInTransactionAsync(async command =>
        {
            await LockAdministratorsAsync(command, cancellationToken).ConfigureAwait(false);
            if (await ScalarInt64Async(Sql(command, "SELECT COUNT(*) FROM settings WHERE key = @key", ("key", SettingKeys.BootstrapCompletedAt)), cancellationToken).ConfigureAwait(false) > 0 ||
                await ScalarInt64Async(Sql(command, CountActiveAdministratorsSql, ("admin", BuiltInRoles.Admin), ("active", IdentityStatus.Active.ToName())), cancellationToken).ConfigureAwait(false) > 0)
                return Rollback(BootstrapResult.AlreadyBootstrapped);
            var consumed = await Sql(command, "UPDATE bootstrap_tokens SET used_at_us = @used WHERE id = @id AND used_at_us IS NULL AND expires_at_us > @used",
                ("id", tokenId), ("used", ToMicros(now))).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (consumed != 1) return Rollback(BootstrapResult.TokenInvalid);
            if (!await InsertIdentityAsync(command, admin, cancellationToken).ConfigureAwait(false)) return Rollback(BootstrapResult.NameTaken);
            await SetCredentialsCoreAsync(command, admin.Id, credentials, cancellationToken).ConfigureAwait(false);
            var recorded = await Sql(command, "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING",
                ("key", SettingKeys.BootstrapCompletedAt), ("value", AuditChain.FormatTime(now))).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return recorded == 1 ? Commit(BootstrapResult.Created) : Rollback(BootstrapResult.AlreadyBootstrapped);
        }, cancellationToken);
    }

    // ---- helpers ----

    /// <summary>The stored facts the administrator guard and optimistic concurrency need.</summary>
    private readonly record struct IdentityState(long Revision, string NameKey, bool IsActiveAdministrator);

    private static async Task<IdentityState?> ReadIdentityStateAsync(DbCommand command, string id, CancellationToken cancellationToken)
    {
        await using var reader = await Sql(command,
            "SELECT i.revision, i.name_key, i.status, EXISTS (SELECT 1 FROM identity_roles r WHERE r.identity_id = i.id AND r.role = @admin) " +
            "FROM identities i WHERE i.id = @id", ("admin", BuiltInRoles.Admin), ("id", id)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        var active = reader.GetString(2) == IdentityStatus.Active.ToName();
        return new IdentityState(reader.GetInt64(0), reader.GetString(1), active && reader.GetBoolean(3));
    }

    /// <summary>True when no active administrator other than <paramref name="id"/> exists.</summary>
    private static async Task<bool> IsLastActiveAdministratorAsync(DbCommand command, string id, CancellationToken cancellationToken) =>
        await ScalarInt64Async(Sql(command, CountActiveAdministratorsSql + " AND i.id <> @id",
            ("admin", BuiltInRoles.Admin), ("active", IdentityStatus.Active.ToName()), ("id", id)), cancellationToken).ConfigureAwait(false) == 0;

    /// <summary>Inserts the identity and its roles; false (nothing written) when the name key or id is taken.</summary>
    private static async Task<bool> InsertIdentityAsync(DbCommand command, IdentityRecord identity, CancellationToken cancellationToken)
    {
        // ON CONFLICT DO NOTHING rather than catching the violation: on PostgreSQL an error would abort the transaction.
        var inserted = await Sql(command,
            $"INSERT INTO identities ({IdentityColumns}) VALUES (@id, @name, @key, @display, @email, @kind, @status, @traits, @created, @login, @revision) ON CONFLICT DO NOTHING",
            ("id", identity.Id), ("name", identity.Name), ("key", identity.NameKey), ("display", identity.DisplayName), ("email", identity.Email),
            ("kind", identity.Kind.ToName()), ("status", identity.Status.ToName()), ("traits", IdentityRows.WriteTraits(identity.Traits)),
            ("created", ToMicros(identity.CreatedAt)), ("login", ToMicros(identity.LastLoginAt)), ("revision", identity.Revision))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        if (inserted) await InsertRolesAsync(command, identity.Id, identity.Roles, cancellationToken).ConfigureAwait(false);
        return inserted;
    }

    private static async Task InsertRolesAsync(DbCommand command, string id, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        foreach (var role in roles.Distinct(StringComparer.Ordinal))
            await Sql(command, "INSERT INTO identity_roles (identity_id, role) VALUES (@id, @role)", ("id", id), ("role", role))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IdentityRecord?> FindIdentityAsync(DbCommand command, string selectSql, string value, CancellationToken cancellationToken)
    {
        IdentityRecord identity;
        await using (var reader = await Sql(command, selectSql, ("v", value)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            identity = ReadIdentity(reader);
        }
        var roles = new List<string>();
        await using (var reader = await Sql(command, "SELECT role FROM identity_roles WHERE identity_id = @id", ("id", identity.Id))
            .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) roles.Add(reader.GetString(0));
        }
        return identity with { Roles = SortedRoles(roles) };
    }

    private static string[] SortedRoles(List<string> roles) => [.. roles.Order(StringComparer.Ordinal)];

    /// <summary>Reads the <see cref="IdentityColumns"/>; roles are filled in by the caller.</summary>
    private static IdentityRecord ReadIdentity(DbDataReader r)
    {
        var id = r.GetString(0);
        return new IdentityRecord(id, r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4),
            IdentityRows.ParseKind(id, r.GetString(5)), IdentityRows.ParseStatus(id, r.GetString(6)), [],
            IdentityRows.ReadTraits(id, r.GetString(7)), FromMicros(r.GetInt64(8)), NullableMicros(r, 9), r.GetInt64(10));
    }
}
