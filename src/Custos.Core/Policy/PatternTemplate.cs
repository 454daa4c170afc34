using System.Text;

namespace Custos.Core.Policy;

/// <summary>
/// A string from a role document that may hold <c>*</c> wildcards and trait templates: <c>web-*</c>,
/// <c>{{user.traits.team}}</c>, <c>{{user.name}}</c>. A template expands per subject into one pattern per trait value;
/// the substituted values are literal (a trait value <c>*</c> is not a wildcard), and a missing trait expands to
/// nothing, so the entry then matches nothing.
/// </summary>
public sealed class PatternTemplate
{
    /// <summary>At most this many patterns come out of one template (traits are lists; several templates multiply).</summary>
    public const int MaxExpansions = 64;

    private readonly Part[] _parts;

    private PatternTemplate(string raw, Part[] parts)
    {
        Raw = raw;
        _parts = parts;
        HasTemplate = parts.Any(p => p.Kind == PartKind.Variable);
        HasWildcard = parts.Any(p => p.Kind == PartKind.Star);
    }

    /// <summary>The text as written in the document.</summary>
    public string Raw { get; }

    public bool HasTemplate { get; }

    public bool HasWildcard { get; }

    /// <summary>Matches any value at all (the pattern is exactly <c>*</c>).</summary>
    public bool IsAny => _parts.Length == 1 && _parts[0].Kind == PartKind.Star;

    /// <summary>The variables this template reads: <c>user.name</c>, <c>user.id</c>, <c>user.kind</c>, <c>user.traits.KEY</c>.</summary>
    public IEnumerable<string> Variables => _parts.Where(p => p.Kind == PartKind.Variable).Select(p => p.Text);

    public override string ToString() => Raw;

    public static bool TryParse(string raw, out PatternTemplate template, out string? error)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var parts = new List<Part>();
        var literal = new StringBuilder();
        error = null;
        template = null!;
        for (var i = 0; i < raw.Length;)
        {
            if (raw[i] == '{' && i + 1 < raw.Length && raw[i + 1] == '{')
            {
                var end = raw.IndexOf("}}", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    error = "unterminated template '{{'";
                    return false;
                }
                var variable = raw[(i + 2)..end].Trim();
                if (!IsVariable(variable))
                {
                    error = $"unknown template variable '{variable}' (use user.name, user.id, user.kind or user.traits.KEY)";
                    return false;
                }
                Flush(literal, parts);
                parts.Add(new Part(PartKind.Variable, variable));
                i = end + 2;
            }
            else if (raw[i] == '*')
            {
                Flush(literal, parts);
                if (parts.Count == 0 || parts[^1].Kind != PartKind.Star)
                    parts.Add(new Part(PartKind.Star, "*"));
                i++;
            }
            else
            {
                if (raw[i] == '}' && i + 1 < raw.Length && raw[i + 1] == '}')
                {
                    error = "'}}' without a matching '{{'";
                    return false;
                }
                literal.Append(raw[i]);
                i++;
            }
        }
        Flush(literal, parts);
        template = new PatternTemplate(raw, [.. parts]);
        return true;
    }

    public static PatternTemplate Parse(string raw) =>
        TryParse(raw, out var template, out var error) ? template : throw new FormatException(error);

    private static bool IsVariable(string variable) =>
        variable is "user.name" or "user.id" or "user.kind"
        || (variable.StartsWith("user.traits.", StringComparison.Ordinal) && variable.Length > "user.traits.".Length
            && variable["user.traits.".Length..].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'));

    private static void Flush(StringBuilder literal, List<Part> parts)
    {
        if (literal.Length == 0)
            return;
        parts.Add(new Part(PartKind.Literal, literal.ToString()));
        literal.Clear();
    }

    /// <summary>The concrete patterns for one subject (the template itself when it reads no variables).</summary>
    public IReadOnlyList<GlobPattern> Expand(PolicySubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var results = new List<List<string>> { new() { "" } };
        // Each partial result is a list of chunks separated by stars; substituted values extend the current chunk.
        foreach (var part in _parts)
        {
            switch (part.Kind)
            {
                case PartKind.Literal:
                    foreach (var r in results)
                        r[^1] += part.Text;
                    break;
                case PartKind.Star:
                    foreach (var r in results)
                        r.Add("");
                    break;
                default:
                    var values = Resolve(part.Text, subject);
                    var next = new List<List<string>>();
                    foreach (var r in results)
                    {
                        foreach (var v in values)
                        {
                            if (next.Count == MaxExpansions)
                                break;
                            var copy = new List<string>(r);
                            copy[^1] += v;
                            next.Add(copy);
                        }
                    }
                    results = next;
                    break;
            }
        }
        return results.Select(r => new GlobPattern([.. r])).Distinct().ToArray();
    }

    /// <summary>The pattern of a template that reads no variables.</summary>
    public GlobPattern ToGlob()
    {
        if (HasTemplate)
            throw new InvalidOperationException("A template must be expanded for a subject.");
        var chunks = new List<string> { "" };
        foreach (var part in _parts)
        {
            if (part.Kind == PartKind.Star)
                chunks.Add("");
            else
                chunks[^1] += part.Text;
        }
        return new GlobPattern([.. chunks]);
    }

    internal static IReadOnlyList<string> Resolve(string variable, PolicySubject subject) => variable switch
    {
        "user.name" => [subject.Name],
        "user.id" => [subject.Id],
        "user.kind" => [Identity.IdentityNames.ToName(subject.Kind)],
        _ => subject.Traits.TryGetValue(variable["user.traits.".Length..], out var values) ? values : [],
    };

    private enum PartKind
    {
        Literal,
        Star,
        Variable,
    }

    private readonly record struct Part(PartKind Kind, string Text);
}

/// <summary>
/// A concrete wildcard pattern: literal chunks separated by <c>*</c> (one chunk is an exact value). Matching is
/// linear in practice and never uses regular expressions.
/// </summary>
public sealed class GlobPattern : IEquatable<GlobPattern>
{
    private readonly string[] _chunks;

    public GlobPattern(string[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Length == 0)
            throw new ArgumentException("A pattern has at least one chunk.", nameof(chunks));
        _chunks = chunks;
    }

    public bool IsExact => _chunks.Length == 1;

    public bool IsAny => _chunks.Length == 2 && _chunks[0].Length == 0 && _chunks[1].Length == 0;

    /// <summary>The value of an exact pattern.</summary>
    public string ExactValue => IsExact ? _chunks[0] : throw new InvalidOperationException("Not an exact pattern.");

    public bool IsMatch(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_chunks.Length == 1)
            return string.Equals(value, _chunks[0], StringComparison.Ordinal);
        var first = _chunks[0];
        var last = _chunks[^1];
        if (value.Length < first.Length + last.Length
            || !value.StartsWith(first, StringComparison.Ordinal)
            || !value.EndsWith(last, StringComparison.Ordinal))
            return false;
        // Middle chunks matched leftmost-first: greedy-free and linear, and correct for '*' (any run of characters).
        var position = first.Length;
        var limit = value.Length - last.Length;
        for (var i = 1; i < _chunks.Length - 1; i++)
        {
            var chunk = _chunks[i];
            if (chunk.Length == 0)
                continue;
            var found = value.IndexOf(chunk, position, limit - position, StringComparison.Ordinal);
            if (found < 0)
                return false;
            position = found + chunk.Length;
        }
        return true;
    }

    public bool Equals(GlobPattern? other) => other is not null && _chunks.AsSpan().SequenceEqual(other._chunks);

    public override bool Equals(object? obj) => Equals(obj as GlobPattern);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var c in _chunks)
            hash.Add(c, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    public override string ToString() => string.Join('*', _chunks);
}
