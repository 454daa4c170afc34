using System.Data.Common;
using Custos.Core.Credentials;

namespace Custos.Storage;

/// <summary>SSH node enrolment (<see cref="ISshNodeStore"/>): one-time join tokens (by hash) and enrolled host keys.</summary>
public abstract partial class RelationalStore : ISshNodeStore
{
    private const string JoinTokenColumns = "token_hash, node, created_by, created_at_us, expires_at_us, used_at_us";
    private const string NodeColumns = "node, host_public_key, host_key_fingerprint, enrolled_at_us, last_sync_at_us, host_cert_serial, host_cert_valid_before_us";

    public async Task AddSshNodeJoinTokenAsync(SshNodeJoinToken token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await RunAsync(command => Sql(command, $"INSERT INTO ssh_node_join_tokens ({JoinTokenColumns}) VALUES (@hash, @node, @by, @created, @expires, NULL)",
                ("hash", token.TokenHash), ("node", token.Node), ("by", token.CreatedBy), ("created", ToMicros(token.CreatedAt)), ("expires", ToMicros(token.ExpiresAt)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public Task<SshNodeJoinToken?> GetSshNodeJoinTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, $"SELECT {JoinTokenColumns} FROM ssh_node_join_tokens WHERE token_hash = @hash", ("hash", tokenHash))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new SshNodeJoinToken(reader.GetString(0), reader.GetString(1), reader.GetString(2), FromMicros(reader.GetInt64(3)), FromMicros(reader.GetInt64(4)), NullableMicros(reader, 5))
                : null;
        }, cancellationToken);

    public Task<bool> TryRedeemSshNodeJoinTokenAsync(string tokenHash, DateTimeOffset now, SshNodeEnrollment enrollment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        return RunInTransactionAsync(async command =>
        {
            if (await Sql(command, "UPDATE ssh_node_join_tokens SET used_at_us = @now WHERE token_hash = @hash AND node = @node AND used_at_us IS NULL AND expires_at_us > @now",
                    ("now", ToMicros(now)), ("hash", tokenHash), ("node", enrollment.Node))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                return Rollback(false);
            await Sql(command, "DELETE FROM ssh_nodes WHERE node = @node", ("node", enrollment.Node)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await Sql(command, $"INSERT INTO ssh_nodes ({NodeColumns}) VALUES (@node, @key, @fingerprint, @enrolled, @sync, @serial, @before)",
                    ("node", enrollment.Node), ("key", enrollment.HostPublicKey), ("fingerprint", enrollment.HostKeyFingerprint), ("enrolled", ToMicros(enrollment.EnrolledAt)),
                    ("sync", ToMicros(enrollment.LastSyncAt)), ("serial", enrollment.HostCertificateSerial), ("before", ToMicros(enrollment.HostCertificateValidBefore)))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return Commit(true);
        }, cancellationToken);
    }

    public Task<SshNodeEnrollment?> GetSshNodeAsync(string node, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, $"SELECT {NodeColumns} FROM ssh_nodes WHERE node = @node", ("node", node))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadNode(reader) : null;
        }, cancellationToken);

    public Task<IReadOnlyList<SshNodeEnrollment>> ListSshNodesAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SshNodeEnrollment>>(async command =>
        {
            var nodes = new List<SshNodeEnrollment>();
            await using var reader = await Sql(command, $"SELECT {NodeColumns} FROM ssh_nodes ORDER BY node").ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                nodes.Add(ReadNode(reader));
            return nodes;
        }, cancellationToken);

    public async Task RecordSshNodeSyncAsync(string node, DateTimeOffset at, string hostCertificateSerial, DateTimeOffset hostCertificateValidBefore, CancellationToken cancellationToken) =>
        await RunAsync(command => Sql(command, "UPDATE ssh_nodes SET last_sync_at_us = @at, host_cert_serial = @serial, host_cert_valid_before_us = @before WHERE node = @node",
                ("at", ToMicros(at)), ("serial", hostCertificateSerial), ("before", ToMicros(hostCertificateValidBefore)), ("node", node))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);

    public Task<int> PruneSshNodeJoinTokensAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        RunAsync(command => Sql(command, "DELETE FROM ssh_node_join_tokens WHERE expires_at_us < @before", ("before", ToMicros(before)))
            .ExecuteNonQueryAsync(cancellationToken), cancellationToken);

    private static SshNodeEnrollment ReadNode(DbDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetString(2), FromMicros(reader.GetInt64(3)),
        NullableMicros(reader, 4), NullableString(reader, 5), NullableMicros(reader, 6));
}

/// <summary>CA rotation (<see cref="ISshCaRotationStore"/>): the rotation rows, moved with their keys in one transaction.</summary>
public abstract partial class RelationalStore : ISshCaRotationStore
{
    private const string RotationColumns = "ca_type, phase, mode, started_at_us, grace_us, phase_changed_at_us, version";

    public Task<IReadOnlyList<SshCaRotation>> ListSshCaRotationsAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<SshCaRotation>>(async command =>
        {
            var rotations = new List<SshCaRotation>();
            await using var reader = await Sql(command, $"SELECT {RotationColumns} FROM ssh_ca_rotations ORDER BY ca_type").ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!SshCaNames.TryParseType(reader.GetString(0), out var type) || !SshCaPhases.TryParse(reader.GetString(1), out var phase))
                    throw new StorageException(StorageFailure.Foreign, $"database: stored SSH CA rotation has an unknown type '{reader.GetString(0)}' or phase '{reader.GetString(1)}'");
                rotations.Add(new SshCaRotation(type, phase, NullableString(reader, 2), NullableMicros(reader, 3),
                    reader.IsDBNull(4) ? null : TimeSpan.FromMicroseconds(reader.GetInt64(4)), FromMicros(reader.GetInt64(5)), reader.GetInt64(6)));
            }
            return rotations;
        }, cancellationToken);

    public async Task<bool> TryApplySshCaRotationStepAsync(SshCaRotationStep change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var next = change.Next;
        if (next.Type != change.Expected.Type || next.Version != change.Expected.Version + 1)
            throw new ArgumentException("a rotation change moves one CA's rotation to the next version", nameof(change));
        try
        {
            return await RunInTransactionAsync(async command =>
            {
                (string, object?)[] row =
                [
                    ("type", next.Type.ToName()), ("phase", next.Phase.ToName()), ("mode", next.Mode), ("started", ToMicros(next.StartedAt)),
                    ("grace", next.Grace is { } g ? (long)g.TotalMicroseconds : null), ("changed", ToMicros(next.PhaseChangedAt)), ("version", next.Version),
                    ("expected", change.Expected.Version),
                ];
                var moved = change.Expected.Version == 0
                    ? await Sql(command, $"INSERT INTO ssh_ca_rotations ({RotationColumns}) VALUES (@type, @phase, @mode, @started, @grace, @changed, @version) ON CONFLICT DO NOTHING", row)
                        .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false)
                    : await Sql(command, "UPDATE ssh_ca_rotations SET phase = @phase, mode = @mode, started_at_us = @started, grace_us = @grace, phase_changed_at_us = @changed, version = @version WHERE ca_type = @type AND version = @expected", row)
                        .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (moved != 1) return Rollback(false);
                // Keys leaving 'active' first: the one-active-key index is checked statement by statement.
                foreach (var keyChange in change.KeyChanges.OrderBy(c => c.From == SshCaKeyState.Active ? 0 : 1))
                {
                    if (await Sql(command, "UPDATE ssh_ca_keys SET state = @to, updated_at_us = @at WHERE id = @id AND ca_type = @type AND state = @from",
                            ("to", keyChange.To.ToName()), ("at", ToMicros(change.At)), ("id", keyChange.KeyId), ("type", next.Type.ToName()), ("from", keyChange.From.ToName()))
                        .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                        return Rollback(false);
                }
                if (change.NewKey is { } key)
                {
                    if (change.NewPrivateKey is not { } sealedKey || key.Type != next.Type) throw new ArgumentException("a new CA key needs its sealed private half and the rotation's type", nameof(change));
                    await Sql(command, $"INSERT INTO ssh_ca_keys ({SshCaColumns}) VALUES (@id, @type, @algorithm, @public, @state, @created, @updated)",
                            ("id", key.Id), ("type", key.Type.ToName()), ("algorithm", key.Algorithm), ("public", key.PublicKey), ("state", key.State.ToName()),
                            ("created", ToMicros(key.CreatedAt)), ("updated", ToMicros(key.UpdatedAt)))
                        .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await Sql(command, "INSERT INTO secrets (name, wrapped_key, ciphertext, created_at_us) VALUES (@name, @wrapped, @ciphertext, @now)",
                            ("name", SshCaNames.SecretName(key.Id)), ("wrapped", sealedKey.WrappedKey), ("ciphertext", sealedKey.Ciphertext), ("now", ToMicros(key.CreatedAt)))
                        .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                return Commit(true);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            // Another instance's change won the race for the one active key (or the rotation row).
            return false;
        }
    }
}
