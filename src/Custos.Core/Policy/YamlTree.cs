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

internal static class YamlTree
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxDepth = 12;
    public const int MaxItems = 256;
    public const int MaxScalarLength = 1024;

    public static YamlNode Read(string text)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxBytes)
            throw Fail(0, $"document larger than {MaxBytes / 1024} KiB");
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                throw Fail(1, "empty document");
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 1);
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

    private static YamlNode ReadNode(IParser parser, int depth)
    {
        if (depth > MaxDepth)
            throw Fail(Line(parser.Current), $"nested deeper than {MaxDepth} levels");
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
                if (scalar.Value.Length > MaxScalarLength)
                    throw Fail(line, $"value longer than {MaxScalarLength} characters");
                return new YamlScalar(line, scalar.Value, scalar.Style == ScalarStyle.Plain);
            case SequenceStart:
            {
                parser.MoveNext();
                var items = new List<YamlNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    if (items.Count == MaxItems)
                        throw Fail(line, $"list longer than {MaxItems} items");
                    items.Add(ReadNode(parser, depth + 1));
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
                    if (entries.Count == MaxItems)
                        throw Fail(line, $"mapping with more than {MaxItems} keys");
                    var key = ReadNode(parser, depth + 1) as YamlScalar ?? throw Fail(line, "mapping keys must be strings");
                    if (!seen.Add(key.Value))
                        throw Fail(key.Line, $"duplicate key '{key.Value}'");
                    entries.Add(new(key, ReadNode(parser, depth + 1)));
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
