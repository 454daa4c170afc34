using System.Text.RegularExpressions;

namespace Custos.Core.Policy;

/// <summary>
/// One value of a label constraint: an exact string, a string with <c>*</c> wildcards, a regular expression written
/// <c>/…/</c>, any of them negated with a leading <c>!</c>; exact and wildcard strings may hold trait templates.
/// Regular expressions run on .NET's non-backtracking engine with <see cref="MatchTimeout"/>, and only when a policy
/// is compiled (over the label values of the known resources), never per decision.
/// </summary>
public sealed class LabelPattern
{
    public const int MaxRegexLength = 256;

    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    private LabelPattern(string raw, bool negated, Regex? regex, PatternTemplate? template)
    {
        Raw = raw;
        Negated = negated;
        Regex = regex;
        Template = template;
    }

    /// <summary>The value as written, including a leading <c>!</c> and the slashes of a regular expression.</summary>
    public string Raw { get; }

    public bool Negated { get; }

    /// <summary>The compiled expression of a <c>/…/</c> value; null otherwise.</summary>
    public Regex? Regex { get; }

    /// <summary>The exact or wildcard pattern (possibly templated) of a non-regex value; null for a regex.</summary>
    public PatternTemplate? Template { get; }

    public bool IsRegex => Regex is not null;

    public bool HasTemplate => Template?.HasTemplate == true;

    public override string ToString() => Raw;

    public static bool TryParse(string raw, out LabelPattern pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(raw);
        pattern = null!;
        var negated = raw.StartsWith('!');
        var body = negated ? raw[1..] : raw;
        if (body.Length == 0)
        {
            error = negated ? "'!' must be followed by a value" : "empty label value";
            return false;
        }
        if (body.Length >= 2 && body[0] == '/' && body[^1] == '/')
        {
            var expression = body[1..^1];
            if (!TryCompileRegex(expression, out var regex, out error))
                return false;
            pattern = new LabelPattern(raw, negated, regex, null);
            return true;
        }
        if (!PatternTemplate.TryParse(body, out var template, out error))
            return false;
        pattern = new LabelPattern(raw, negated, null, template);
        return true;
    }

    public static LabelPattern Parse(string raw) =>
        TryParse(raw, out var pattern, out var error) ? pattern : throw new FormatException(error);

    private static bool TryCompileRegex(string expression, out Regex regex, out string? error)
    {
        regex = null!;
        if (expression.Length == 0)
        {
            error = "empty regular expression";
            return false;
        }
        if (expression.Length > MaxRegexLength)
        {
            error = $"regular expression longer than {MaxRegexLength} characters";
            return false;
        }
        if (expression.Contains("{{", StringComparison.Ordinal))
        {
            error = "templates are not allowed inside a regular expression";
            return false;
        }
        try
        {
            // Anchored: a label pattern describes the whole value, like the exact and wildcard forms.
            regex = new Regex($"^(?:{expression})$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            error = $"invalid regular expression: {e.Message}";
            return false;
        }
        catch (NotSupportedException e)
        {
            error = $"regular expression not supported by the non-backtracking engine: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Whether a concrete value matches the positive part of this pattern (ignoring <see cref="Negated"/>), for a
    /// pattern without templates. A regex that times out returns <paramref name="onTimeout"/>, which the compiler
    /// chooses so that the rule fails closed.
    /// </summary>
    internal bool MatchesBody(string value, bool onTimeout)
    {
        if (Regex is not null)
        {
            try
            {
                return Regex.IsMatch(value);
            }
            catch (RegexMatchTimeoutException)
            {
                return onTimeout;
            }
        }
        return Template!.ToGlob().IsMatch(value);
    }
}
