using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Custos.Core.Policy.Compiled;

/// <summary>
/// A known resource with its index position. <see cref="Values"/> holds, per label key id, the id of the resource's
/// value among that key's distinct values (-1 when the label is missing), so matching a label is an array read and a
/// bit test rather than string hashing.
/// </summary>
internal sealed class CompiledResource(int id, PolicyResource resource, Dictionary<string, string> labels, int[] rows, int start, int count)
{
    public int Id { get; } = id;

    public PolicyResource Resource { get; } = resource;

    public ResourceKind Kind { get; } = resource.Kind;

    public Dictionary<string, string> Labels { get; } = labels;

    public ReadOnlySpan<int> Values => new(rows, start, count);
}

/// <summary>
/// The inventory as the compiler needs it: resources by name and by kind, and an inverted index from label key and
/// value to resources. It also resolves label patterns to the set of known values they match, once per pattern
/// (wildcards and regular expressions run here, at compile time, never per decision). Immutable after construction
/// except for two memos, which are safe to share: they only cache pure results.
/// <para>
/// Decisions find a resource by its slot in an open-addressing name table (one slot holds the name, its hash and the
/// id), and the resource's row (its kind, then the value id of each label key) and its cached "no role allows"
/// answers sit at the same slot position in flat arrays. So once the name is hashed, all three reads can be in flight
/// together: with 100,000 resources each is a cache miss, and each dependent miss costs a few hundred nanoseconds.
/// </para>
/// </summary>
internal sealed class ResourceIndex
{
    private readonly NameSlot[] _slots;
    private readonly int[] _rows;
    private readonly int _stride;
    private readonly Dictionary<string, Dictionary<string, List<int>>> _postings;
    private readonly Dictionary<string, int> _keyIds;
    private readonly List<Dictionary<string, int>> _valueIds;
    private readonly ConcurrentDictionary<(string Key, string Pattern, bool Regex, bool OnTimeout), HashSet<string>> _matches = new();
    private readonly Decision?[] _noRoleAllows;

    public ResourceIndex(IEnumerable<PolicyResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var list = new List<(PolicyResource Resource, Dictionary<string, string> Labels)>();
        foreach (var resource in resources)
        {
            ArgumentNullException.ThrowIfNull(resource);
            var labels = resource.Labels as Dictionary<string, string> is { } d && d.Comparer == StringComparer.Ordinal
                ? d
                : new Dictionary<string, string>(resource.Labels, StringComparer.Ordinal);
            list.Add((resource, labels));
        }

        // Two thirds full at most, so a lookup almost always ends at its first slot; not a power of two, because
        // the rows and cached answers are sized by slots too (see Home).
        _slots = new NameSlot[list.Count + (list.Count / 2) + 1];
        var slotOf = new int[list.Count];
        _postings = new Dictionary<string, Dictionary<string, List<int>>>(StringComparer.Ordinal);
        var byKind = new List<int>[3] { [], [], [] };
        for (var id = 0; id < list.Count; id++)
        {
            var (resource, labels) = list[id];
            slotOf[id] = AddName(resource.Name, id);
            if (slotOf[id] < 0)
                throw new ArgumentException($"Duplicate resource name '{resource.Name}'.", nameof(resources));
            byKind[(int)resource.Kind].Add(id);
            foreach (var (key, value) in labels)
            {
                if (!_postings.TryGetValue(key, out var values))
                    _postings[key] = values = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                if (!values.TryGetValue(value, out var ids))
                    values[value] = ids = [];
                ids.Add(id);
            }
        }
        ByKind = [.. byKind.Select(l => l.ToArray())];

        _keyIds = new Dictionary<string, int>(StringComparer.Ordinal);
        _valueIds = [];
        foreach (var (key, values) in _postings)
        {
            _keyIds[key] = _valueIds.Count;
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var value in values.Keys)
                ids[value] = ids.Count;
            _valueIds.Add(ids);
        }

        _stride = _valueIds.Count + 1;
        _rows = new int[_slots.Length * _stride];
        Array.Fill(_rows, -1);
        var all = new CompiledResource[list.Count];
        for (var id = 0; id < list.Count; id++)
        {
            var (resource, labels) = list[id];
            var start = slotOf[id] * _stride;
            _rows[start] = (int)resource.Kind;
            foreach (var (key, value) in labels)
            {
                var keyId = _keyIds[key];
                _rows[start + 1 + keyId] = _valueIds[keyId][value];
            }
            all[id] = new CompiledResource(id, resource, labels, _rows, start + 1, _stride - 1);
        }
        All = all;
        _noRoleAllows = new Decision?[_slots.Length * PolicyActions.MaxPerKind];
    }

    public CompiledResource[] All { get; }

    public int[][] ByKind { get; }

    /// <summary>The id of a label key, or -1 when no resource has it.</summary>
    public int KeyId(string key) => _keyIds.TryGetValue(key, out var id) ? id : -1;

    /// <summary>The id of a value among the distinct values of a key, or -1.</summary>
    public int ValueId(int keyId, string value) => keyId >= 0 && _valueIds[keyId].TryGetValue(value, out var id) ? id : -1;

    public int ValueCount(int keyId) => keyId >= 0 ? _valueIds[keyId].Count : 0;

    public bool TryGet(string name, out CompiledResource resource)
    {
        var found = TryFind(name, out var slot);
        resource = found ? ResourceAt(slot) : null!;
        return found;
    }

    /// <summary>The slot of the resource named <paramref name="name"/>: one hash of the name, then (almost always) one slot.</summary>
    public bool TryFind(string name, out int slot)
    {
        var hash = name.GetHashCode(StringComparison.Ordinal);
        for (slot = Home(hash); ; slot = Next(slot))
        {
            ref readonly var entry = ref _slots[slot];
            if (entry.Name is null)
                return false;
            if (entry.Hash == hash && string.Equals(entry.Name, name, StringComparison.Ordinal))
                return true;
        }
    }

    public CompiledResource ResourceAt(int slot) => All[_slots[slot].Id];

    /// <summary>
    /// The row of the resource at <paramref name="slot"/>: its kind at 0, then at <c>1 + key id</c> the value id of
    /// each label key (-1 when missing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Row(int slot) => new(_rows, slot * _stride, _stride);

    /// <summary>
    /// The "no role allows" decision for the resource at <paramref name="slot"/> and an action, made once and shared by
    /// every policy set built on this index: it names only the action and the resource, so it does not depend on
    /// roles, subject or context. Bounded by the inventory (at most <see cref="PolicyActions.MaxPerKind"/> per resource).
    /// </summary>
    public Decision NoRoleAllows(int slot, int actionId) => CachedNoRoleAllows(slot, actionId) ?? MakeNoRoleAllows(slot, actionId);

    /// <summary>The "no role allows" decision if it was made already (a plain read, so a caller can issue it early).</summary>
    public Decision? CachedNoRoleAllows(int slot, int actionId) => _noRoleAllows[NoRoleAllowsAt(slot, actionId)];

    private Decision MakeNoRoleAllows(int slot, int actionId)
    {
        var made = DecisionBuilder.NoRoleAllows(PolicyActions.All[actionId], ResourceAt(slot).Resource);
        return Interlocked.CompareExchange(ref _noRoleAllows[NoRoleAllowsAt(slot, actionId)], made, null) ?? made;
    }

    private static int NoRoleAllowsAt(int slot, int actionId) => (slot * PolicyActions.MaxPerKind) + PolicyActions.IndexInKind(actionId);

    /// <summary>The distinct values of a label key across the known resources.</summary>
    public IEnumerable<string> ValuesOf(string key) =>
        _postings.TryGetValue(key, out var values) ? values.Keys : [];

    /// <summary>The resources whose label <paramref name="key"/> is <paramref name="value"/>.</summary>
    public List<int>? Posting(string key, string value) =>
        _postings.TryGetValue(key, out var values) && values.TryGetValue(value, out var ids) ? ids : null;

    /// <summary>The known values of <paramref name="key"/> that a wildcard pattern matches (memoised).</summary>
    public HashSet<string> MatchGlob(string key, GlobPattern glob) =>
        _matches.GetOrAdd((key, glob.ToString(), false, false), k =>
            ValuesOf(k.Key).Where(glob.IsMatch).ToHashSet(StringComparer.Ordinal));

    /// <summary>
    /// The known values of <paramref name="key"/> a regular expression matches (memoised). A value whose match times
    /// out counts as <paramref name="onTimeout"/>, which the caller picks so that the rule fails closed.
    /// </summary>
    public HashSet<string> MatchRegex(string key, LabelPattern pattern, bool onTimeout) =>
        _matches.GetOrAdd((key, pattern.Regex!.ToString(), true, onTimeout), k =>
            ValuesOf(k.Key).Where(v => pattern.MatchesBody(v, onTimeout)).ToHashSet(StringComparer.Ordinal));

    /// <summary>Adds a name and returns its slot, or -1 when the name is already there.</summary>
    private int AddName(string name, int id)
    {
        var hash = name.GetHashCode(StringComparison.Ordinal);
        for (var slot = Home(hash); ; slot = Next(slot))
        {
            ref var entry = ref _slots[slot];
            if (entry.Name is null)
            {
                entry = new NameSlot(name, hash, id);
                return slot;
            }
            if (entry.Hash == hash && string.Equals(entry.Name, name, StringComparison.Ordinal))
                return -1;
        }
    }

    /// <summary>A hash's first slot: the high bits of hash × size (no division, any table size).</summary>
    private int Home(int hash) => (int)(((ulong)(uint)hash * (ulong)_slots.Length) >> 32);

    private int Next(int slot) => slot + 1 == _slots.Length ? 0 : slot + 1;

    private readonly record struct NameSlot(string? Name, int Hash, int Id);
}
