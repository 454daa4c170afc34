using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Custos.Core.Policy;

/// <summary>
/// A minimal YAML tree with line numbers, read from YamlDotNet's event parser so that the limits of a role document
/// are enforced while reading, before anything is built: size, nesting depth, list and mapping lengths, one document
/// only, no anchors or aliases (no billion-laughs expansion), no tags, no duplicate keys.
/// </summary>
internal abstract record YamlNode(int Line);

internal sealed record YamlScalar(int Line, string Value, bool IsPlain) : YamlNode(Line)
{
    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar: YAML's null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YamlSequence(int Line, IReadOnlyList<YamlNode> Items) : YamlNode(Line);

internal sealed record YamlMapping(int Line, IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries) : YamlNode(Line);

/// <summary>Size limits for one YAML document: total bytes, nesting depth, items per list or mapping, characters per value.</summary>
internal sealed record YamlLimits(int MaxBytes, int MaxDepth, int MaxItems, int MaxScalarLength)
{
    /// <summary>A role document.</summary>
    public static YamlLimits Role { get; } = new(64 * 1024, 12, 256, 1024);

    /// <summary>A resource inventory for bulk import: large lists, shallow documents.</summary>
    public static YamlLimits Inventory { get; } = new(64 * 1024 * 1024, 8, 250_000, 2048);
}

internal static class YamlTree
{
    public static YamlNode Read(string text) => Read(text, YamlLimits.Role);

    public static YamlNode Read(string text, YamlLimits limits)
    {
        if (text.Length > limits.MaxBytes || System.Text.Encoding.UTF8.GetByteCount(text) > limits.MaxBytes)
            throw Fail(0, $"document larger than {limits.MaxBytes / 1024} KiB");
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                throw Fail(1, "empty document");
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 1, limits);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
                throw Fail(Line(parser.Current), "only one document is allowed");
            return root;
        }
        catch (YamlException e)
        {
            throw Fail(checked((int)Math.Min(e.Start.Line, int.MaxValue)), $"invalid YAML: {Shorten(e.Message)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed input instead of a YamlException (found by fuzzing).
            throw Fail(0, "invalid YAML");
        }
    }

    private static YamlNode ReadNode(IParser parser, int depth, YamlLimits limits)
    {
        if (depth > limits.MaxDepth)
            throw Fail(Line(parser.Current), $"nested deeper than {limits.MaxDepth} levels");
        var current = parser.Current ?? throw Fail(0, "unexpected end of document");
        switch (current)
        {
            case AnchorAlias alias:
                throw Fail(Line(alias), "YAML aliases are not allowed");
            case NodeEvent { Anchor.IsEmpty: false } node:
                throw Fail(Line(node), "YAML anchors are not allowed");
            case NodeEvent { Tag.IsEmpty: false } node when !(node is Scalar && node.Tag.Value == "!"):
                throw Fail(Line(node), "YAML tags are not allowed (quote values that start with '!', such as \"!prod\")");
        }
        var line = Line(current);
        switch (current)
        {
            case Scalar scalar:
                parser.MoveNext();
                if (scalar.Value.Length > limits.MaxScalarLength)
                    throw Fail(line, $"value longer than {limits.MaxScalarLength} characters");
                return new YamlScalar(line, scalar.Value, scalar.Style == ScalarStyle.Plain);
            case SequenceStart:
            {
                parser.MoveNext();
                var items = new List<YamlNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    if (items.Count == limits.MaxItems)
                        throw Fail(line, $"list longer than {limits.MaxItems} items");
                    items.Add(ReadNode(parser, depth + 1, limits));
                }
                return new YamlSequence(line, items);
            }
            case MappingStart:
            {
                parser.MoveNext();
                var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (entries.Count == limits.MaxItems)
                        throw Fail(line, $"mapping with more than {limits.MaxItems} keys");
                    var key = ReadNode(parser, depth + 1, limits) as YamlScalar ?? throw Fail(line, "mapping keys must be strings");
                    if (!seen.Add(key.Value))
                        throw Fail(key.Line, $"duplicate key '{key.Value}'");
                    entries.Add(new(key, ReadNode(parser, depth + 1, limits)));
                }
                return new YamlMapping(line, entries);
            }
            default:
                throw Fail(line, "unexpected YAML content");
        }
    }

    private static int Line(ParsingEvent? e) => e is null ? 0 : (int)Math.Min(e.Start.Line, int.MaxValue);

    private static string Shorten(string message)
    {
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return close >= 0 && message.StartsWith('(') ? message[(close + 3)..] : message;
    }

    private static RoleValidationException Fail(int line, string message) =>
        new([new RoleValidationError("", line, message)]);
}
