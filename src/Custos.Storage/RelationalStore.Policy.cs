using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Custos.Core.Policy;

namespace Custos.Storage;

/// <summary>
/// The policy engine's inputs: resources, roles and trait-to-role mappings. Every write that changes something bumps
/// the one-row policy version inside its own transaction, so the change and the new version commit together.
/// </summary>
public abstract partial class RelationalStore
{
    private const string ResourceColumns =
        "name, kind, address, port, database_names, host_key_fingerprint, trust_host_ca, url, labels, revision, created_at_us, updated_at_us";

    private const string RoleColumns = "name, yaml, revision, updated_at_us, updated_by";

    // ---- resources ----

    public Task<bool> TryCreateResourceAsync(StoredResource resource, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await InsertResourceAsync(command, resource, resource.Revision, cancellationToken).ConfigureAwait(false)
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    public Task<StoredResource?> GetResourceAsync(string name, CancellationToken cancellationToken) =>
        RunAsync(command => FindResourceAsync(command, name, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<StoredResource>> ListResourcesAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredResource>>(async command =>
        {
            var resources = new List<StoredResource>();
            await using (var reader = await Sql(command, $"SELECT {ResourceColumns} FROM resources").ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) resources.Add(ReadResource(reader));
            }
            // Ordinal order in code: PostgreSQL's ORDER BY follows the database collation.
            return [.. resources.OrderBy(r => r.Name, StringComparer.Ordinal)];
        }, cancellationToken);

    public Task<PolicyUpdateResult> UpdateResourceAsync(StoredResource resource, long expectedRevision, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            var result = await UpdateResourceCoreAsync(command, resource, expectedRevision, cancellationToken).ConfigureAwait(false);
            if (result != PolicyUpdateResult.Updated) return Rollback(result);
            return Commit(await BumpPolicyVersionAsync(command, result, cancellationToken).ConfigureAwait(false));
        }, cancellationToken);

    public Task<bool> DeleteResourceAsync(string name, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await Sql(command, "DELETE FROM resources WHERE name = @name", ("name", name)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    public Task<ResourceImportResult> UpsertResourcesAsync(IReadOnlyList<StoredResource> resources, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            int created = 0, updated = 0, unchanged = 0;
            foreach (var resource in resources)
            {
                if (await FindResourceAsync(command, resource.Name, cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    // A concurrent create of the same name makes the insert a no-op: refuse rather than guess whose content wins.
                    if (!await InsertResourceAsync(command, resource, 1, cancellationToken).ConfigureAwait(false))
                        throw new InvalidOperationException($"resource {resource.Name} was created concurrently during the import");
                    created++;
                }
                else if (SameContent(current, resource))
                {
                    unchanged++;
                }
                else
                {
                    var result = await UpdateResourceCoreAsync(command, resource, current.Revision, cancellationToken).ConfigureAwait(false);
                    if (result != PolicyUpdateResult.Updated)
                        throw new InvalidOperationException($"resource {resource.Name} changed concurrently during the import");
                    updated++;
                }
            }
            if (created + updated > 0) await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false);
            return Commit(new ResourceImportResult(created, updated, unchanged));
        }, cancellationToken);

    // ---- roles ----

    public Task<bool> TryCreateRoleAsync(StoredRole role, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await Sql(command, $"INSERT INTO roles ({RoleColumns}) VALUES (@name, @yaml, @revision, @updated, @by) ON CONFLICT DO NOTHING",
                    ("name", role.Name), ("yaml", role.Yaml), ("revision", role.Revision), ("updated", ToMicros(role.UpdatedAt)), ("by", role.UpdatedBy))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    public Task<StoredRole?> GetRoleAsync(string name, CancellationToken cancellationToken) =>
        RunAsync(async command =>
        {
            await using var reader = await Sql(command, $"SELECT {RoleColumns} FROM roles WHERE name = @name", ("name", name))
                .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRole(reader) : null;
        }, cancellationToken);

    public Task<IReadOnlyList<StoredRole>> ListRolesAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredRole>>(async command =>
        {
            var roles = new List<StoredRole>();
            await using (var reader = await Sql(command, $"SELECT {RoleColumns} FROM roles").ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) roles.Add(ReadRole(reader));
            }
            return [.. roles.OrderBy(r => r.Name, StringComparer.Ordinal)];
        }, cancellationToken);

    public Task<PolicyUpdateResult> UpdateRoleAsync(StoredRole role, long expectedRevision, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
        {
            var changed = await Sql(command,
                    "UPDATE roles SET yaml = @yaml, revision = @next, updated_at_us = @updated, updated_by = @by WHERE name = @name AND revision = @expected",
                    ("yaml", role.Yaml), ("next", expectedRevision + 1), ("updated", ToMicros(role.UpdatedAt)), ("by", role.UpdatedBy),
                    ("name", role.Name), ("expected", expectedRevision))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (changed == 1) return Commit(await BumpPolicyVersionAsync(command, PolicyUpdateResult.Updated, cancellationToken).ConfigureAwait(false));
            var exists = await ScalarInt64Async(Sql(command, "SELECT COUNT(*) FROM roles WHERE name = @name", ("name", role.Name)), cancellationToken)
                .ConfigureAwait(false) > 0;
            return Rollback(exists ? PolicyUpdateResult.Stale : PolicyUpdateResult.NotFound);
        }, cancellationToken);

    public Task<bool> DeleteRoleAsync(string name, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await Sql(command, "DELETE FROM roles WHERE name = @name", ("name", name)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    // ---- role mappings ----

    public Task<bool> AddRoleMappingAsync(RoleMapping mapping, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await Sql(command, "INSERT INTO role_mappings (trait_key, trait_value, role) VALUES (@key, @value, @role) ON CONFLICT DO NOTHING",
                    ("key", mapping.TraitKey), ("value", mapping.TraitValue), ("role", mapping.Role))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    public Task<bool> RemoveRoleMappingAsync(RoleMapping mapping, CancellationToken cancellationToken) =>
        RunInTransactionAsync(async command =>
            await Sql(command, "DELETE FROM role_mappings WHERE trait_key = @key AND trait_value = @value AND role = @role",
                    ("key", mapping.TraitKey), ("value", mapping.TraitValue), ("role", mapping.Role))
                .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1
                ? Commit(await BumpPolicyVersionAsync(command, true, cancellationToken).ConfigureAwait(false))
                : Rollback(false),
            cancellationToken);

    public Task<IReadOnlyList<RoleMapping>> ListRoleMappingsAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<RoleMapping>>(async command =>
        {
            var mappings = new List<RoleMapping>();
            await using (var reader = await Sql(command, "SELECT trait_key, trait_value, role FROM role_mappings").ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    mappings.Add(new RoleMapping(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
            return [.. mappings
                .OrderBy(m => m.TraitKey, StringComparer.Ordinal)
                .ThenBy(m => m.TraitValue, StringComparer.Ordinal)
                .ThenBy(m => m.Role, StringComparer.Ordinal)];
        }, cancellationToken);

    // ---- change detection ----

    public Task<long> GetPolicyVersionAsync(CancellationToken cancellationToken) =>
        RunAsync(command => ScalarInt64Async(Sql(command, "SELECT version FROM policy_version WHERE id = 1"), cancellationToken), cancellationToken);

    // ---- helpers ----

    /// <summary>Increases the policy version inside the caller's transaction and passes <paramref name="result"/> through.</summary>
    private static async Task<T> BumpPolicyVersionAsync<T>(DbCommand command, T result, CancellationToken cancellationToken)
    {
        var bumped = await Sql(command, "UPDATE policy_version SET version = version + 1 WHERE id = 1").ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (bumped != 1) throw new StorageException(StorageFailure.Foreign, "database: the policy version row is missing");
        return result;
    }

    /// <summary>Inserts the resource with <paramref name="revision"/>; false (nothing written) when the name is taken.</summary>
    private static async Task<bool> InsertResourceAsync(DbCommand command, StoredResource resource, long revision, CancellationToken cancellationToken) =>
        await Sql(command,
                $"INSERT INTO resources ({ResourceColumns}) VALUES (@name, @kind, @address, @port, @dbs, @fingerprint, @trust, @url, @labels, @revision, @created, @updated) " +
                "ON CONFLICT DO NOTHING",
                ("name", resource.Name), ("kind", resource.Kind.ToName()), ("address", resource.Address), ("port", resource.Port),
                ("dbs", WriteDatabaseNames(resource.DatabaseNames)), ("fingerprint", resource.HostKeyFingerprint), ("trust", resource.TrustHostCa),
                ("url", resource.Url), ("labels", WriteLabels(resource.Labels)), ("revision", revision),
                ("created", ToMicros(resource.CreatedAt)), ("updated", ToMicros(resource.UpdatedAt)))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;

    private static async Task<PolicyUpdateResult> UpdateResourceCoreAsync(DbCommand command, StoredResource resource, long expectedRevision, CancellationToken cancellationToken)
    {
        var changed = await Sql(command,
                "UPDATE resources SET kind = @kind, address = @address, port = @port, database_names = @dbs, host_key_fingerprint = @fingerprint, " +
                "trust_host_ca = @trust, url = @url, labels = @labels, revision = @next, updated_at_us = @updated WHERE name = @name AND revision = @expected",
                ("kind", resource.Kind.ToName()), ("address", resource.Address), ("port", resource.Port),
                ("dbs", WriteDatabaseNames(resource.DatabaseNames)), ("fingerprint", resource.HostKeyFingerprint), ("trust", resource.TrustHostCa),
                ("url", resource.Url), ("labels", WriteLabels(resource.Labels)), ("next", expectedRevision + 1),
                ("updated", ToMicros(resource.UpdatedAt)), ("name", resource.Name), ("expected", expectedRevision))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (changed == 1) return PolicyUpdateResult.Updated;
        var exists = await ScalarInt64Async(Sql(command, "SELECT COUNT(*) FROM resources WHERE name = @name", ("name", resource.Name)), cancellationToken)
            .ConfigureAwait(false) > 0;
        return exists ? PolicyUpdateResult.Stale : PolicyUpdateResult.NotFound;
    }

    private static async Task<StoredResource?> FindResourceAsync(DbCommand command, string name, CancellationToken cancellationToken)
    {
        await using var reader = await Sql(command, $"SELECT {ResourceColumns} FROM resources WHERE name = @name", ("name", name))
            .ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadResource(reader) : null;
    }

    /// <summary>True when everything but revision and times is equal (compared as stored, so label order does not matter).</summary>
    private static bool SameContent(StoredResource a, StoredResource b) =>
        a.Kind == b.Kind &&
        string.Equals(a.Address, b.Address, StringComparison.Ordinal) &&
        a.Port == b.Port &&
        string.Equals(WriteDatabaseNames(a.DatabaseNames), WriteDatabaseNames(b.DatabaseNames), StringComparison.Ordinal) &&
        string.Equals(a.HostKeyFingerprint, b.HostKeyFingerprint, StringComparison.Ordinal) &&
        a.TrustHostCa == b.TrustHostCa &&
        string.Equals(a.Url, b.Url, StringComparison.Ordinal) &&
        string.Equals(WriteLabels(a.Labels), WriteLabels(b.Labels), StringComparison.Ordinal);

    private static StoredResource ReadResource(DbDataReader r)
    {
        var name = r.GetString(0);
        var kindName = r.GetString(1);
        if (!ResourceKindNames.TryParse(kindName, out var kind)) throw DamagedResource(name, "kind", kindName);
        return new StoredResource(name, kind, r.GetString(2), r.GetInt32(3), ReadDatabaseNames(name, r.GetString(4)), NullableString(r, 5),
            r.GetBoolean(6), NullableString(r, 7), ReadLabels(name, r.GetString(8)), r.GetInt64(9), FromMicros(r.GetInt64(10)), FromMicros(r.GetInt64(11)));
    }

    private static StoredRole ReadRole(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt64(2), FromMicros(r.GetInt64(3)), r.GetString(4));

    /// <summary>A JSON array, in the given order (the order of database names is the operator's).</summary>
    private static string WriteDatabaseNames(IReadOnlyList<string> names) =>
        WriteJson(writer =>
        {
            writer.WriteStartArray();
            foreach (var name in names) writer.WriteStringValue(name);
            writer.WriteEndArray();
        });

    /// <summary>A JSON object with keys in ordinal order: the same labels always store as the same text.</summary>
    private static string WriteLabels(IReadOnlyDictionary<string, string> labels) =>
        WriteJson(writer =>
        {
            writer.WriteStartObject();
            foreach (var (key, value) in labels.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
            writer.WriteEndObject();
        });

    private static string WriteJson(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] ReadDatabaseNames(string resource, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return [.. document.RootElement.EnumerateArray().Select(v => v.GetString() ?? throw new JsonException("null database name"))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw DamagedResource(resource, "database_names", e.Message);
        }
    }

    private static Dictionary<string, string> ReadLabels(string resource, string json)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
                labels[property.Name] = property.Value.GetString() ?? throw new JsonException("null label value");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw DamagedResource(resource, "labels", e.Message);
        }
        return labels;
    }

    private static StorageException DamagedResource(string name, string column, string problem) =>
        new(StorageFailure.Foreign, $"database: resource {name} has an unreadable {column} ({problem})");
}
