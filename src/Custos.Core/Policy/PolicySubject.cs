using Custos.Core.Identity;

namespace Custos.Core.Policy;

/// <summary>
/// Who asks: an identity's id, name and kind, the role names assigned to it directly, and its traits (key → values),
/// which role mappings and trait templates read. Build it from an <see cref="IdentityRecord"/> with <see cref="From"/>.
/// </summary>
public sealed record PolicySubject(
    string Id,
    string Name,
    IdentityKind Kind,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Traits)
{
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
