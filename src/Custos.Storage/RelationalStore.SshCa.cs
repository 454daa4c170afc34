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
