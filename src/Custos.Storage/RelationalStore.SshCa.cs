using System.Data.Common;
using Custos.Core.Credentials;
using Custos.Core.Crypto;

namespace Custos.Storage;

/// <summary>The SSH CA keys (<see cref="ISshCaStore"/>): key rows and their sealed private halves, written together.</summary>
public abstract partial class RelationalStore : ISshCaStore
{
    private const string SshCaColumns = "id, ca_type, algorithm, public_key, state, created_at_us, updated_at_us";

    public Task<IReadOnlyList<SshCaKeyRecord>> ListSshCaKeysAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SshCaKeyRecord>>(async command =>
        {
            var keys = new List<SshCaKeyRecord>();
            await using var reader = await Sql(command, $"SELECT {SshCaColumns} FROM ssh_ca_keys ORDER BY created_at_us, id")
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                keys.Add(ReadSshCaKey(reader));
            return keys;
        }, cancellationToken);

    public async Task<bool> TryAddSshCaKeyAsync(SshCaKeyRecord key, SealedSecret privateKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(privateKey);
        try
        {
            return await RunInTransactionAsync(async command =>
            {
                if (await Sql(command, $"INSERT INTO ssh_ca_keys ({SshCaColumns}) VALUES (@id, @type, @algorithm, @public, @state, @created, @updated) ON CONFLICT DO NOTHING",
                        ("id", key.Id), ("type", key.Type.ToName()), ("algorithm", key.Algorithm), ("public", key.PublicKey), ("state", key.State.ToName()),
                        ("created", ToMicros(key.CreatedAt)), ("updated", ToMicros(key.UpdatedAt)))
                    .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                    return Rollback(false);
                var stored = await Sql(command, "INSERT INTO secrets (name, wrapped_key, ciphertext, created_at_us) VALUES (@name, @wrapped, @ciphertext, @now) ON CONFLICT (name) DO NOTHING",
                        ("name", SshCaNames.SecretName(key.Id)), ("wrapped", privateKey.WrappedKey), ("ciphertext", privateKey.Ciphertext), ("now", ToMicros(key.CreatedAt)))
                    .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
                return stored ? Commit(true) : Rollback(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            // ON CONFLICT DO NOTHING covers the primary key; the one-active-key index can still refuse the row.
            return false;
        }
    }

    private static SshCaKeyRecord ReadSshCaKey(DbDataReader reader)
    {
        var type = reader.GetString(1);
        var state = reader.GetString(4);
        if (!SshCaNames.TryParseType(type, out var caType) || !SshCaNames.TryParseState(state, out var caState))
            throw new StorageException(StorageFailure.Foreign, $"database: stored SSH CA key {reader.GetString(0)} has an unknown type '{type}' or state '{state}'");
        return new SshCaKeyRecord(reader.GetString(0), caType, reader.GetString(2), reader.GetString(3), caState,
            FromMicros(reader.GetInt64(5)), FromMicros(reader.GetInt64(6)));
    }
}

/// <summary>The SSH KRL entries (<see cref="ISshRevocationStore"/>).</summary>
public abstract partial class RelationalStore : ISshRevocationStore
{
    private const string RevocationColumns = "kind, value, reason, revoked_by, revoked_at_us, expires_at_us";

    public async Task<bool> AddSshRevocationAsync(SshRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        return await RunAsync(command => Sql(command, $"INSERT INTO ssh_revocations ({RevocationColumns}) VALUES (@kind, @value, @reason, @by, @at, @expires) ON CONFLICT DO NOTHING",
                ("kind", revocation.Kind.ToName()), ("value", revocation.Value), ("reason", revocation.Reason), ("by", revocation.RevokedBy),
                ("at", ToMicros(revocation.RevokedAt)), ("expires", ToMicros(revocation.ExpiresAt)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<IReadOnlyList<SshRevocation>> ListSshRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SshRevocation>>(async command =>
        {
            var list = new List<SshRevocation>();
            await using var reader = await Sql(command, $"SELECT {RevocationColumns} FROM ssh_revocations WHERE expires_at_us IS NULL OR expires_at_us > @now ORDER BY kind, value",
                ("now", ToMicros(now))).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!SshRevocationKinds.TryParse(reader.GetString(0), out var kind))
                    throw new StorageException(StorageFailure.Foreign, $"database: stored SSH revocation has an unknown kind '{reader.GetString(0)}'");
                list.Add(new SshRevocation(kind, reader.GetString(1), reader.GetString(2), reader.GetString(3), FromMicros(reader.GetInt64(4)), NullableMicros(reader, 5)));
            }
            return list;
        }, cancellationToken);

    public Task<int> PruneSshRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync(command => Sql(command, "DELETE FROM ssh_revocations WHERE expires_at_us IS NOT NULL AND expires_at_us <= @now", ("now", ToMicros(now)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken);
}
