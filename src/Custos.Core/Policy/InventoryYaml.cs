using System.Text;

namespace Custos.Core.Policy;

/// <summary>
/// The inventory's YAML form for bulk import and export:
/// <code>
/// kind: resources
/// resources:
///   - name: db-1
///     kind: database
///     address: 10.0.0.5:5432
///     databases: [app]
///     labels: { env: prod, team: payments }
/// </code>
/// Keys of an entry: name, kind, address, databases, host_key_fingerprint, trust_host_ca, url, labels. Errors name the
/// path and line (<c>resources[3].address: …</c>). Aliases, anchors and tags are refused; at most 250,000 entries.
/// </summary>
public static class InventoryYaml
{
    private static readonly string[] TopKeys = ["kind", "resources"];
    private static readonly string[] EntryKeys = ["name", "kind", "address", "databases", "host_key_fingerprint", "trust_host_ca", "url", "labels"];

    /// <summary>Parses and validates every entry; throws <see cref="RoleValidationException"/> with all problems found.</summary>
    public static IReadOnlyList<StoredResource> Parse(string yaml, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var root = YamlTree.Read(yaml, YamlLimits.Inventory);
        var errors = new List<RoleValidationError>();
        var result = new List<StoredResource>();
        if (root is not YamlMapping map)
            throw new RoleValidationException([new RoleValidationError("", root.Line, "expected a mapping with kind: resources and a resources list")]);
        foreach (var (key, _) in map.Entries)
        {
            if (!TopKeys.Contains(key.Value))
                errors.Add(new(key.Value, key.Line, "unknown key (expected kind, resources)"));
        }
        var kind = RoleParser.Find(map, "kind");
        if (kind is not YamlScalar { Value: "resources" })
            errors.Add(new("kind", kind?.Line ?? map.Line, "expected 'resources'"));
        var list = RoleParser.Find(map, "resources");
        if (list is YamlSequence seq)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var path = $"resources[{i}]";
                if (seq.Items[i] is not YamlMapping entry)
                {
                    errors.Add(new(path, seq.Items[i].Line, "expected a resource (mapping)"));
                    continue;
                }
                if (ReadEntry(entry, path, now, errors) is { } resource)
                {
                    if (names.Add(resource.Name)) result.Add(resource);
                    else errors.Add(new(path + ".name", entry.Line, $"duplicate name '{resource.Name}'"));
                }
                if (errors.Count >= 100)
                    break;
            }
        }
        else if (list is not null && !(list is YamlScalar s && s.IsNull))
        {
            errors.Add(new("resources", list.Line, "expected a list of resources"));
        }
        if (errors.Count > 0)
            throw new RoleValidationException(errors);
        return result;
    }

    private static StoredResource? ReadEntry(YamlMapping entry, string path, DateTimeOffset now, List<RoleValidationError> errors)
    {
        var before = errors.Count;
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in entry.Entries)
        {
            lines[key.Value] = value.Line;
            if (!EntryKeys.Contains(key.Value))
                errors.Add(new($"{path}.{key.Value}", key.Line, $"unknown key (expected {string.Join(", ", EntryKeys)})"));
        }
        string? Str(string key)
        {
            var node = RoleParser.Find(entry, key);
            if (node is null || node is YamlScalar { IsNull: true }) return null;
            if (node is YamlScalar scalar) return scalar.Value;
            errors.Add(new($"{path}.{key}", node.Line, "expected a string"));
            return null;
        }
        List<string>? StrList(string key)
        {
            var node = RoleParser.Find(entry, key);
            switch (node)
            {
                case null or YamlScalar { IsNull: true }: return null;
                case YamlScalar s: return [s.Value];
                case YamlSequence seq when seq.Items.All(i => i is YamlScalar): return [.. seq.Items.Cast<YamlScalar>().Select(i => i.Value)];
                default: errors.Add(new($"{path}.{key}", node.Line, "expected string or list of strings")); return null;
            }
        }
        bool? Bool(string key)
        {
            var node = RoleParser.Find(entry, key);
            if (node is null) return null;
            if (node is YamlScalar { IsPlain: true, Value: "true" }) return true;
            if (node is YamlScalar { IsPlain: true, Value: "false" }) return false;
            errors.Add(new($"{path}.{key}", node.Line, "expected true or false"));
            return null;
        }
        Dictionary<string, string>? Labels()
        {
            var node = RoleParser.Find(entry, "labels");
            if (node is null || node is YamlScalar { IsNull: true }) return null;
            if (node is not YamlMapping labels)
            {
                errors.Add(new($"{path}.labels", node.Line, "expected a mapping of label → value"));
                return null;
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in labels.Entries)
            {
                if (value is YamlScalar v) result[key.Value] = v.Value;
                else errors.Add(new($"{path}.labels.{key.Value}", value.Line, "expected a string"));
            }
            return result;
        }

        var input = new ResourceInput(Str("name"), Str("kind"), Str("address"), StrList("databases"), Str("host_key_fingerprint"),
            Bool("trust_host_ca"), Str("url"), Labels());
        if (errors.Count > before)
            return null;
        var resource = input.Build(now, out var problems);
        foreach (var (field, message) in problems)
            errors.Add(new($"{path}.{field}", lines.GetValueOrDefault(field, entry.Line), message));
        return resource;
    }

    /// <summary>The export document: every resource in name order; <see cref="Parse"/> reads it back to equal content.</summary>
    public static string Write(IEnumerable<StoredResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var w = new StringBuilder("kind: resources\nresources:\n");
        var any = false;
        foreach (var r in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            any = true;
            w.Append("  - name: ").Append(Q(r.Name)).Append('\n');
            w.Append("    kind: ").Append(r.Kind.ToName()).Append('\n');
            if (r.Kind != ResourceKind.App)
                w.Append("    address: ").Append(Q(ResourceInput.FormatAddress(r.Address, r.Port))).Append('\n');
            if (r.DatabaseNames.Count > 0)
                w.Append("    databases: [").AppendJoin(", ", r.DatabaseNames.Select(Q)).Append("]\n");
            if (r.HostKeyFingerprint is not null)
                w.Append("    host_key_fingerprint: ").Append(Q(r.HostKeyFingerprint)).Append('\n');
            if (r.TrustHostCa)
                w.Append("    trust_host_ca: true\n");
            if (r.Url is not null)
                w.Append("    url: ").Append(Q(r.Url)).Append('\n');
            if (r.Labels.Count > 0)
            {
                w.Append("    labels:\n");
                foreach (var (key, value) in r.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
                    w.Append("      ").Append(Q(key)).Append(": ").Append(Q(value)).Append('\n');
            }
        }
        if (!any)
            w.Length -= 1;
        return any ? w.ToString() : w.Append(" []\n").ToString();
    }

    /// <summary>Whether two resources have the same content (everything but revision and times).</summary>
    public static bool SameContent(StoredResource a, StoredResource b) =>
        a.Name == b.Name && a.Kind == b.Kind && a.Address == b.Address && a.Port == b.Port
        && a.DatabaseNames.SequenceEqual(b.DatabaseNames, StringComparer.Ordinal)
        && a.HostKeyFingerprint == b.HostKeyFingerprint && a.TrustHostCa == b.TrustHostCa && a.Url == b.Url
        && a.Labels.Count == b.Labels.Count && a.Labels.All(l => b.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>A stable text of the content for audit digests (the entry as <see cref="Write"/> prints it).</summary>
    public static string CanonicalText(StoredResource resource) => Write([resource]);

    private static string Q(string value) => RoleCanonicalWriter.Quote(value);

}
