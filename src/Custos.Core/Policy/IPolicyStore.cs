namespace Custos.Core.Policy;

/// <summary>
/// A resource of the inventory as stored: the policy's view (name, kind, labels) plus the connection details that do
/// not influence decisions. <see cref="Revision"/> counts changes for optimistic concurrency; times keep microsecond
/// precision.
/// </summary>
public sealed record StoredResource(
    string Name,
    ResourceKind Kind,
    string Address,
    int Port,
    IReadOnlyList<string> DatabaseNames,
    string? HostKeyFingerprint,
    bool TrustHostCa,
    string? Url,
    IReadOnlyDictionary<string, string> Labels,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The resource as the decision engine sees it.</summary>
    public PolicyResource ToPolicyResource() => new(Name, Kind, Labels);
}

/// <summary>A role document as stored: its canonical YAML (<see cref="RoleDocument.ToCanonicalYaml"/>) and who changed it last.</summary>
public sealed record StoredRole(string Name, string Yaml, long Revision, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>What an update guarded by an expected revision did.</summary>
public enum PolicyUpdateResult
{
    /// <summary>Stored; the revision is now the expected revision plus one.</summary>
    Updated,

    /// <summary>No object has that name; nothing changed.</summary>
    NotFound,

    /// <summary>The stored revision differs from the expected one (someone else changed it); nothing changed.</summary>
    Stale,
}

/// <summary>What a bulk import did, per resource.</summary>
public sealed record ResourceImportResult(int Created, int Updated, int Unchanged);

/// <summary>
/// The storage port for the policy engine's inputs: the resource inventory, role documents and trait-to-role mappings.
/// Every change that writes something also increases the policy version in the same transaction, so instances sharing a
/// database notice changes by polling <see cref="GetPolicyVersionAsync"/> and recompile. Reads never change it.
/// Lists come back in ordinal order of their names (mappings: of trait key, trait value, then role).
/// </summary>
public interface IPolicyStore
{
    // ---- resources ----

    /// <summary>Stores a new resource as given (revision and times included); false, and nothing written, when the name exists.</summary>
    Task<bool> TryCreateResourceAsync(StoredResource resource, CancellationToken cancellationToken);

    /// <summary>The resource with that exact name, or null.</summary>
    Task<StoredResource?> GetResourceAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredResource>> ListResourcesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the content of the resource named <c>resource.Name</c> if its stored revision is
    /// <paramref name="expectedRevision"/>: the revision becomes <paramref name="expectedRevision"/> + 1, the update time
    /// <c>resource.UpdatedAt</c>; the creation time is kept and <c>resource.Revision</c> is ignored.
    /// </summary>
    Task<PolicyUpdateResult> UpdateResourceAsync(StoredResource resource, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes the resource; false when none has that name.</summary>
    Task<bool> DeleteResourceAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Idempotent bulk import in one transaction (all or nothing). A resource whose name is new is created with revision
    /// 1; one whose content (everything but revision and times) differs is updated (revision + 1, creation time kept,
    /// update time from the input); one with the same content is left alone, revision and times unchanged. The policy
    /// version increases once when anything was created or updated, not at all otherwise. Names must be unique within
    /// the batch.
    /// </summary>
    Task<ResourceImportResult> UpsertResourcesAsync(IReadOnlyList<StoredResource> resources, CancellationToken cancellationToken);

    // ---- roles ----

    /// <summary>Stores a new role as given; false, and nothing written, when the name exists.</summary>
    Task<bool> TryCreateRoleAsync(StoredRole role, CancellationToken cancellationToken);

    Task<StoredRole?> GetRoleAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredRole>> ListRolesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the role's YAML, update time and author if its stored revision is <paramref name="expectedRevision"/>
    /// (optimistic concurrency: a stale revision is refused); the revision becomes <paramref name="expectedRevision"/> + 1.
    /// </summary>
    Task<PolicyUpdateResult> UpdateRoleAsync(StoredRole role, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes the role; false when none has that name. Mappings naming it are left for the caller to decide on.</summary>
    Task<bool> DeleteRoleAsync(string name, CancellationToken cancellationToken);

    // ---- role mappings ----

    /// <summary>Adds the mapping; idempotent: true when added, false when it already existed (then nothing changes).</summary>
    Task<bool> AddRoleMappingAsync(RoleMapping mapping, CancellationToken cancellationToken);

    /// <summary>Removes the mapping; false when it did not exist.</summary>
    Task<bool> RemoveRoleMappingAsync(RoleMapping mapping, CancellationToken cancellationToken);

    Task<IReadOnlyList<RoleMapping>> ListRoleMappingsAsync(CancellationToken cancellationToken);

    // ---- change detection ----

    /// <summary>
    /// A number that increases with every committed write to resources, roles or mappings (never on reads or on writes
    /// that change nothing); starts at 0 on a new database.
    /// </summary>
    Task<long> GetPolicyVersionAsync(CancellationToken cancellationToken);
}
