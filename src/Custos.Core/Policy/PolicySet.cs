using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Custos.Core.Identity;
using Custos.Core.Policy.Compiled;

namespace Custos.Core.Policy;

/// <summary>
/// Roles, role mappings and resources compiled into an index, immutable once built: its owner swaps the current set
/// atomically (a volatile field) when anything changes, and readers use it without locks. <see cref="Decide"/> resolves
/// the subject's roles (memoised on the subject, cached by subject signature), runs the action's rule program against
/// the resource's row of label value ids and returns a shared decision for the common answers; it never scans all
/// roles or resources. The caches are safe for concurrent readers and bounded (see PolicySet.Decide.cs and
/// ResourceIndex). See docs/policy.md for the semantics.
/// </summary>
public sealed partial class PolicySet
{
    /// <summary>Subject signatures kept before the cache starts over (it refills on demand).</summary>
    private const int MaxCachedSignatures = 200_000;

    private readonly ResourceIndex _index;
    private readonly Dictionary<string, CompiledRole> _roles;
    private readonly RoleMapping[] _mappings;
    private readonly Dictionary<(string Key, string Value), string[]> _mapped;
    private readonly Dictionary<string, string[]> _requestableThrough;
    private readonly HashSet<string> _signatureTraits;
    private readonly bool _signatureUsesName;
    private readonly bool _signatureUsesId;
    private readonly ILockChecker? _locks;
    private readonly ConcurrentDictionary<string, ResolvedSubject> _bySignature = new(StringComparer.Ordinal);

    /// <summary>Marks the resolutions this set made (a small object, so a subject's memo never keeps a whole old set alive).</summary>
    private readonly object _owner = new();

    private PolicySet(ResourceIndex index, Dictionary<string, CompiledRole> roles, RoleMapping[] mappings, ILockChecker? locks)
    {
        _index = index;
        _roles = roles;
        _mappings = mappings;
        _locks = locks;
        _mapped = mappings
            .GroupBy(m => (m.TraitKey, m.TraitValue))
            .ToDictionary(g => g.Key, g => g.Select(m => m.Role).Distinct(StringComparer.Ordinal).ToArray());
        _requestableThrough = roles.Values
            .SelectMany(r => r.Document.RequestableBy.Select(by => (By: by, Role: r.Name)))
            .GroupBy(p => p.By, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Role).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        var variables = roles.Values.SelectMany(r => r.Variables).ToHashSet(StringComparer.Ordinal);
        _signatureTraits = mappings.Select(m => m.TraitKey)
            .Concat(variables.Where(v => v.StartsWith("user.traits.", StringComparison.Ordinal)).Select(v => v["user.traits.".Length..]))
            .ToHashSet(StringComparer.Ordinal);
        _signatureUsesName = variables.Contains("user.name");
        _signatureUsesId = variables.Contains("user.id");
    }

    public static PolicySet Empty { get; } = Compile([], [], []);

    /// <summary>Compiles roles, mappings and resources. Role and resource names must be unique.</summary>
    public static PolicySet Compile(
        IEnumerable<RoleDocument> roles,
        IEnumerable<RoleMapping> mappings,
        IEnumerable<PolicyResource> resources,
        ILockChecker? locks = null)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(mappings);
        var index = new ResourceIndex(resources);
        var compiled = new Dictionary<string, CompiledRole>(StringComparer.Ordinal);
        foreach (var role in roles)
        {
            ArgumentNullException.ThrowIfNull(role);
            if (!compiled.TryAdd(role.Name, new CompiledRole(role, index)))
                throw new ArgumentException($"Duplicate role name '{role.Name}'.", nameof(roles));
        }
        return new PolicySet(index, compiled, [.. mappings], locks);
    }

    /// <summary>A set with <paramref name="role"/> added or replaced; other roles and the resource index are reused.</summary>
    public PolicySet WithRole(RoleDocument role)
    {
        ArgumentNullException.ThrowIfNull(role);
        var roles = new Dictionary<string, CompiledRole>(_roles, StringComparer.Ordinal) { [role.Name] = new CompiledRole(role, _index) };
        return new PolicySet(_index, roles, _mappings, _locks);
    }

    public PolicySet WithoutRole(string name)
    {
        var roles = new Dictionary<string, CompiledRole>(_roles, StringComparer.Ordinal);
        roles.Remove(name);
        return new PolicySet(_index, roles, _mappings, _locks);
    }

    public PolicySet WithMappings(IEnumerable<RoleMapping> mappings)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        return new PolicySet(_index, _roles, [.. mappings], _locks);
    }

    public PolicySet WithLocks(ILockChecker? locks) => new(_index, _roles, _mappings, locks);

    public IReadOnlyCollection<RoleDocument> Roles => [.. _roles.Values.Select(r => r.Document)];

    public IReadOnlyList<RoleMapping> Mappings => _mappings;

    public IReadOnlyList<PolicyResource> Resources => [.. _index.All.Select(r => r.Resource)];

    public RoleDocument? FindRole(string name) => _roles.TryGetValue(name, out var role) ? role.Document : null;

    public PolicyResource? FindResource(string name) => _index.TryGet(name, out var resource) ? resource.Resource : null;

    /// <summary>
    /// The subject's compiled roles: from the subject itself when this set resolved it last (one read, where a table
    /// keyed by reference costs several cache misses), else by signature (roles, relevant traits).
    /// </summary>
    private ResolvedSubject Resolve(PolicySubject subject) => Resolve(subject, subject.LastResolved);

    /// <summary>As <see cref="Resolve(PolicySubject)"/>, with the subject's memo already read.</summary>
    private ResolvedSubject Resolve(PolicySubject subject, ResolvedSubject? last) =>
        last is not null && ReferenceEquals(last.Owner, _owner) ? last : ResolveBySignature(subject);

    /// <summary>
    /// Kept apart from <see cref="Resolve(PolicySubject)"/> and never inlined: its lambda's closure would otherwise be
    /// allocated on every call, and its code would crowd the decision's hot path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ResolvedSubject ResolveBySignature(PolicySubject subject)
    {
        var signature = Signature(subject);
        if (!_bySignature.TryGetValue(signature, out var resolved))
        {
            if (_bySignature.Count >= MaxCachedSignatures)
                _bySignature.Clear();
            resolved = _bySignature.GetOrAdd(signature, _ => Build(subject));
        }
        subject.LastResolved = resolved;
        return resolved;
    }

    private string Signature(PolicySubject subject)
    {
        var s = new StringBuilder();
        s.Append(subject.Kind.ToName()).Append('\0');
        if (_signatureUsesName)
            s.Append(subject.Name);
        s.Append('\0');
        if (_signatureUsesId)
            s.Append(subject.Id);
        s.Append('\0');
        foreach (var role in subject.Roles.Order(StringComparer.Ordinal))
            s.Append(role).Append('\u0001');
        s.Append('\0');
        foreach (var (key, values) in subject.Traits.Where(t => _signatureTraits.Contains(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            s.Append(key).Append('\u0002');
            foreach (var value in values)
                s.Append(value).Append('\u0001');
            s.Append('\0');
        }
        return s.ToString();
    }

    /// <summary>The roles assigned to a subject: directly and through trait mappings (unknown names are ignored).</summary>
    internal IEnumerable<CompiledRole> AssignedRoles(PolicySubject subject)
    {
        var names = new HashSet<string>(subject.Roles, StringComparer.Ordinal);
        foreach (var (key, values) in subject.Traits)
        {
            foreach (var value in values)
            {
                if (_mapped.TryGetValue((key, value), out var roles))
                    names.UnionWith(roles);
            }
        }
        return names.Where(_roles.ContainsKey).Select(n => _roles[n]);
    }

    private ResolvedSubject Build(PolicySubject subject)
    {
        var assigned = AssignedRoles(subject).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        var standing = assigned.Where(r => !r.RequiresRequest).ToArray();
        var standingNames = standing.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var requestable = assigned.Where(r => r.RequiresRequest)
            .Concat(standing.SelectMany(r => _requestableThrough.GetValueOrDefault(r.Name) ?? []).Select(n => _roles[n]))
            .Where(r => !standingNames.Contains(r.Name))
            .DistinctBy(r => r.Name)
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToArray();

        var deny = assigned.SelectMany(r => r.Deny(subject, _index)).ToArray();
        var allow = standing.SelectMany(r => r.Allow(subject, _index)).ToArray();
        var requestableRules = requestable.Select(r => new RequestableRole(r.Name, r.Allow(subject, _index), r.Deny(subject, _index))).ToArray();
        var byAction = new ActionRules[PolicyActions.Count];
        for (var id = 0; id < byAction.Length; id++)
        {
            var a = id;
            var requestableForAction = requestableRules
                .Select(r => r with { Allow = [.. r.Allow.Where(x => x.HasAction(a))], Deny = [.. r.Deny.Where(x => x.HasAction(a))] })
                .Where(r => r.Allow.Length > 0)
                .ToArray();
            var rules = new ActionRules([.. deny.Where(r => r.HasAction(a))], [.. allow.Where(r => r.HasAction(a))], requestableForAction);
            byAction[id] = rules.Deny.Length + rules.Allow.Length + rules.Requestable.Length == 0 ? ActionRules.Empty : rules;
        }
        return new ResolvedSubject(_owner, RuleProgram.Build(byAction))
        {
            StandingRoles = [.. standing.Select(r => r.Name)],
            RequestableRoles = [.. requestable.Select(r => r.Name)],
            ByAction = byAction,
            AllDeny = deny,
            AllAllow = allow,
            AllRequestable = requestableRules,
        };
    }
}
