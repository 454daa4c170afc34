using System.Globalization;
using System.Text;
using Custos.Cli.Client;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Custos.Cli.Policy;

/// <summary>The top-level <c>name</c> and <c>revision</c> of a role document, as far as the CLI needs them.</summary>
public sealed record RoleDocumentHeader(string? Name, long? Revision);

/// <summary>
/// The role document as text on the client side. <c>custos admin roles get</c> prints the stored YAML with a
/// <c>revision: N</c> line after the <c>name:</c> line, so that editing the file and running <c>update -f</c> carries the
/// revision the edit started from (optimistic concurrency). <c>update</c> reads the name back to address
/// <c>PUT /v1/roles/{name}</c>. Everything else about the document is the server's to validate.
/// </summary>
public static class RoleDocumentText
{
    /// <summary>
    /// <paramref name="yaml"/> with a top-level <c>revision: N</c> line right after the top-level <c>name:</c> line
    /// (and its continuation lines); an existing top-level revision line is replaced. Without a name line the revision
    /// goes first. The text always ends with a newline.
    /// </summary>
    public static string WithRevision(string yaml, long revision)
    {
        var revisionLine = "revision: " + revision.ToString(CultureInfo.InvariantCulture);
        var lines = yaml.ReplaceLineEndings("\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        lines.RemoveAll(l => IsTopLevelKey(l, "revision"));
        var name = lines.FindIndex(l => IsTopLevelKey(l, "name"));
        var at = 0;
        if (name >= 0)
        {
            at = name + 1;
            while (at < lines.Count && lines[at].Length > 0 && lines[at][0] is ' ' or '\t') at++;
        }
        else if (lines.Count > 0 && lines[0].StartsWith("---", StringComparison.Ordinal))
        {
            at = 1;
        }
        lines.Insert(at, revisionLine);
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(line).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Reads the top-level <c>name</c> and <c>revision</c> of a document; <paramref name="source"/> names it in errors
    /// (a file or standard input). Text that is not YAML, or not a mapping, is refused with the line.
    /// </summary>
    public static RoleDocumentHeader ReadHeader(string yaml, string source)
    {
        string? name = null;
        long? revision = null;
        try
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) throw new CliException(ExitCodes.Failure, $"{source}: the document is empty");
            parser.Consume<DocumentStart>();
            if (!parser.TryConsume<MappingStart>(out _))
                throw new CliException(ExitCodes.Failure, $"{source}: expected a role document (a mapping with kind: role and name: NAME) (line {Line(parser.Current)})");
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                if (!parser.TryConsume<Scalar>(out var key))
                {
                    parser.SkipThisAndNestedEvents();
                    parser.SkipThisAndNestedEvents();
                    continue;
                }
                if (key.Value is "name" or "revision" && parser.TryConsume<Scalar>(out var value))
                {
                    if (key.Value == "name") name = value.Value;
                    else revision = ParseRevision(value, source);
                    continue;
                }
                parser.SkipThisAndNestedEvents();
            }
        }
        catch (YamlException e)
        {
            throw new CliException(ExitCodes.Failure, $"{source}: invalid YAML (line {e.Start.Line.ToString(CultureInfo.InvariantCulture)}): {Shorten(e.Message)}", e);
        }
        return new RoleDocumentHeader(string.IsNullOrEmpty(name) ? null : name, revision);
    }

    private static long ParseRevision(Scalar value, string source) =>
        long.TryParse(value.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new CliException(ExitCodes.Failure, $"{source}: revision: \"{value.Value}\" is not a revision number (line {Line(value)})");

    private static bool IsTopLevelKey(string line, string key) =>
        line.StartsWith(key, StringComparison.Ordinal)
        && line.AsSpan(key.Length).TrimStart(' ') is [':', ..] rest
        && (rest.Length == 1 || rest[1] is ' ' or '\t');

    private static string Line(ParsingEvent? e) => (e?.Start.Line ?? 0).ToString(CultureInfo.InvariantCulture);

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 1, Idx: 20) - (Line: ...): "; the line is given separately.
    private static string Shorten(string message)
    {
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return close >= 0 && message.StartsWith('(') ? message[(close + 3)..] : message;
    }
}
