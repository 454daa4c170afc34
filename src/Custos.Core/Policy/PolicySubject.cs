using Custos.Core.Identity;
using Custos.Core.Policy.Compiled;

namespace Custos.Core.Policy;

/// <summary>
/// Who asks: an identity's id, name and kind, the role names assigned to it directly, and its traits (key → values),
/// which role mappings and trait templates read. Build it from an <see cref="IdentityRecord"/> with <see cref="From"/>.
/// </summary>
/// <remarks>
/// A subject also remembers how the policy set that last decided for it resolved it, so that the next decision skips
/// the lookup (see <see cref="PolicySet"/>). That memo is not part of the value: equality, hashing and copies
/// (<c>with</c>) ignore it, which is why they are written out here; keep them in step with the parameters.
/// </remarks>
public sealed record PolicySubject(
    string Id,
    string Name,
    IdentityKind Kind,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Traits)
{
    private ResolvedSubject? _lastResolved;

    private PolicySubject(PolicySubject original)
    {
        Id = original.Id;
        Name = original.Name;
        Kind = original.Kind;
        Roles = original.Roles;
        Traits = original.Traits;
    }

    /// <summary>The resolution the last deciding policy set stored; it checks the owner before using it.</summary>
    internal ResolvedSubject? LastResolved
    {
        get => _lastResolved;
        set => Volatile.Write(ref _lastResolved, value);
    }

    public bool Equals(PolicySubject? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Id == other.Id && Name == other.Name && Kind == other.Kind
            && EqualityComparer<IReadOnlyList<string>>.Default.Equals(Roles, other.Roles)
            && EqualityComparer<IReadOnlyDictionary<string, IReadOnlyList<string>>>.Default.Equals(Traits, other.Traits));

    public override int GetHashCode() => HashCode.Combine(Id, Name, Kind, Roles, Traits);

    public static PolicySubject From(IdentityRecord identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new PolicySubject(identity.Id, identity.Name, identity.Kind, identity.Roles, identity.Traits);
    }
}

/// <summary>
/// A role mapping: every identity whose trait <see cref="TraitKey"/> holds <see cref="TraitValue"/> is assigned
/// <see cref="Role"/>, so provisioning (SCIM, SSO groups) only sets traits.
/// </summary>
public sealed record RoleMapping(string TraitKey, string TraitValue, string Role);
