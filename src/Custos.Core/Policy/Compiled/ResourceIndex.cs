using System.Collections.Concurrent;

namespace Custos.Core.Policy.Compiled;

/// <summary>
/// A known resource with its index position. <see cref="Values"/> holds, per label key id, the id of the resource's
/// value among that key's distinct values (-1 when the label is missing), so matching a label is an array read and a
/// bit test rather than string hashing.
/// </summary>
internal sealed class CompiledResource(int id, PolicyResource resource, Dictionary<string, string> labels)
{
    public int Id { get; } = id;

    public PolicyResource Resource { get; } = resource;

    public ResourceKind Kind { get; } = resource.Kind;

    public Dictionary<string, string> Labels { get; } = labels;

    public int[] Values { get; set; } = [];
}

/// <summary>
/// The inventory as the compiler needs it: resources by name and by kind, and an inverted index from label key and
/// value to resources. It also resolves label patterns to the set of known values they match, once per pattern
/// (wildcards and regular expressions run here, at compile time, never per decision). Immutable after construction
/// except for that memo, which is safe to share: it only caches pure results.
/// </summary>
internal sealed class ResourceIndex
{
    private readonly Dictionary<string, CompiledResource> _byName;
    private readonly Dictionary<string, Dictionary<string, List<int>>> _postings;
    private readonly ConcurrentDictionary<(string Key, string Pattern, bool Regex, bool OnTimeout), HashSet<string>> _matches = new();

    public ResourceIndex(IEnumerable<PolicyResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var list = new List<CompiledResource>();
        _byName = new Dictionary<string, CompiledResource>(StringComparer.Ordinal);
        _postings = new Dictionary<string, Dictionary<string, List<int>>>(StringComparer.Ordinal);
        var byKind = new List<int>[3] { [], [], [] };
        foreach (var resource in resources)
        {
            ArgumentNullException.ThrowIfNull(resource);
            var labels = resource.Labels as Dictionary<string, string> is { } d && d.Comparer == StringComparer.Ordinal
                ? d
                : new Dictionary<string, string>(resource.Labels, StringComparer.Ordinal);
            var compiled = new CompiledResource(list.Count, resource, labels);
            if (!_byName.TryAdd(resource.Name, compiled))
                throw new ArgumentException($"Duplicate resource name '{resource.Name}'.", nameof(resources));
            list.Add(compiled);
            byKind[(int)resource.Kind].Add(compiled.Id);
            foreach (var (key, value) in labels)
            {
                if (!_postings.TryGetValue(key, out var values))
                    _postings[key] = values = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                if (!values.TryGetValue(value, out var ids))
                    values[value] = ids = [];
                ids.Add(compiled.Id);
            }
        }
        All = [.. list];
        ByKind = [.. byKind.Select(l => l.ToArray())];
        _keyIds = new Dictionary<string, int>(StringComparer.Ordinal);
        _valueIds = [];
        foreach (var key in _postings.Keys)
        {
            _keyIds[key] = _valueIds.Count;
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var value in _postings[key].Keys)
                ids[value] = ids.Count;
            _valueIds.Add(ids);
        }
        foreach (var resource in All)
        {
            var values = new int[_valueIds.Count];
            Array.Fill(values, -1);
            foreach (var (key, value) in resource.Labels)
                values[_keyIds[key]] = _valueIds[_keyIds[key]][value];
            resource.Values = values;
        }
    }

    private readonly Dictionary<string, int> _keyIds;
    private readonly List<Dictionary<string, int>> _valueIds;

    /// <summary>The id of a label key, or -1 when no resource has it.</summary>
    public int KeyId(string key) => _keyIds.TryGetValue(key, out var id) ? id : -1;

    /// <summary>The id of a value among the distinct values of a key, or -1.</summary>
    public int ValueId(int keyId, string value) => keyId >= 0 && _valueIds[keyId].TryGetValue(value, out var id) ? id : -1;

    public int ValueCount(int keyId) => keyId >= 0 ? _valueIds[keyId].Count : 0;

    public CompiledResource[] All { get; }

    public int[][] ByKind { get; }

    public bool TryGet(string name, out CompiledResource resource) => _byName.TryGetValue(name, out resource!);

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
}
