using System.Collections.Concurrent;
using System.Numerics;

namespace Custos.Core.Policy.Compiled;

/// <summary>
/// A known resource with its index position. <see cref="Values"/> holds, per label key id, the id of the resource's
/// value among that key's distinct values (-1 when the label is missing), so matching a label is an array read and a
/// bit test rather than string hashing.
/// </summary>
internal sealed class CompiledResource(int id, PolicyResource resource, Dictionary<string, string> labels, int[] rows, int stride)
{
    private readonly int _start = id * stride + 1;

    public int Id { get; } = id;

    public PolicyResource Resource { get; } = resource;

    public ResourceKind Kind { get; } = resource.Kind;

    public Dictionary<string, string> Labels { get; } = labels;

    public ReadOnlySpan<int> Values => new(rows, _start, stride - 1);
}

/// <summary>
/// The inventory as the compiler needs it: resources by name and by kind, and an inverted index from label key and
/// value to resources. It also resolves label patterns to the set of known values they match, once per pattern
/// (wildcards and regular expressions run here, at compile time, never per decision). Immutable after construction
/// except for two memos, which are safe to share: they only cache pure results.
/// <para>
/// A decision reads three places: the name table (open addressing, one slot holds the name, its hash and the id), the
/// resource's row in one flat array (its kind, then the value id of each label key) and, when no role allows, the
/// cached answer for that resource and action. Keeping these flat matters more than instruction counts: with 100,000
/// resources every read is a cache miss, and each dependent miss costs a few hundred nanoseconds.
/// </para>
/// </summary>
internal sealed class ResourceIndex
{
    private readonly NameSlot[] _slots;
    private readonly int _slotMask;
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

        _slots = new NameSlot[BitOperations.RoundUpToPowerOf2((uint)Math.Max(2 * list.Count, 2))];
        _slotMask = _slots.Length - 1;
        _postings = new Dictionary<string, Dictionary<string, List<int>>>(StringComparer.Ordinal);
        var byKind = new List<int>[3] { [], [], [] };
        for (var id = 0; id < list.Count; id++)
        {
            var (resource, labels) = list[id];
            if (!TryAddName(resource.Name, id))
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
        _rows = new int[list.Count * _stride];
        Array.Fill(_rows, -1);
        var all = new CompiledResource[list.Count];
        for (var id = 0; id < list.Count; id++)
        {
            var (resource, labels) = list[id];
            var row = _rows.AsSpan(id * _stride, _stride);
            row[0] = (int)resource.Kind;
            foreach (var (key, value) in labels)
            {
                var keyId = _keyIds[key];
                row[1 + keyId] = _valueIds[keyId][value];
            }
            all[id] = new CompiledResource(id, resource, labels, _rows, _stride);
        }
        All = all;
        _noRoleAllows = new Decision?[list.Count * PolicyActions.MaxPerKind];
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
        var found = TryGetId(name, out var id);
        resource = found ? All[id] : null!;
        return found;
    }

    /// <summary>The id of the resource named <paramref name="name"/>: one hash of the name, then (almost always) one slot.</summary>
    public bool TryGetId(string name, out int id)
    {
        var hash = name.GetHashCode(StringComparison.Ordinal);
        for (var i = hash & _slotMask; ; i = (i + 1) & _slotMask)
        {
            ref readonly var slot = ref _slots[i];
            if (slot.Name is null)
            {
                id = -1;
                return false;
            }
            if (slot.Hash == hash && string.Equals(slot.Name, name, StringComparison.Ordinal))
            {
                id = slot.Id;
                return true;
            }
        }
    }

    /// <summary>
    /// A resource's row: its kind at 0, then at <c>1 + key id</c> the value id of each label key (-1 when missing).
    /// </summary>
    public ReadOnlySpan<int> Row(int id) => new(_rows, id * _stride, _stride);

    /// <summary>
    /// The "no role allows" decision for a resource and action, made once and shared by every policy set built on
    /// this index: it names only the action and the resource, so it does not depend on roles, subject or context.
    /// Bounded by the inventory (at most <see cref="PolicyActions.MaxPerKind"/> per resource).
    /// </summary>
    public Decision NoRoleAllows(int id, int actionId)
    {
        ref var slot = ref _noRoleAllows[id * PolicyActions.MaxPerKind + PolicyActions.IndexInKind(actionId)];
        if (slot is { } cached)
            return cached;
        var made = DecisionBuilder.NoRoleAllows(PolicyActions.All[actionId], All[id].Resource);
        return Interlocked.CompareExchange(ref slot, made, null) ?? made;
    }

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

    private bool TryAddName(string name, int id)
    {
        var hash = name.GetHashCode(StringComparison.Ordinal);
        for (var i = hash & _slotMask; ; i = (i + 1) & _slotMask)
        {
            ref var slot = ref _slots[i];
            if (slot.Name is null)
            {
                slot = new NameSlot(name, hash, id);
                return true;
            }
            if (slot.Hash == hash && string.Equals(slot.Name, name, StringComparison.Ordinal))
                return false;
        }
    }

    private readonly record struct NameSlot(string? Name, int Hash, int Id);
}
