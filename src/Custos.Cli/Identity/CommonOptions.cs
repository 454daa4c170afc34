using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Custos.Cli.Identity;

/// <summary>Options and arguments shared by the identity commands, with their validation (a bad value exits 2).</summary>
public static partial class CommonOptions
{
    public const string Text = "text";
    public const string Json = "json";

    public static Option<string> Output()
    {
        var option = new Option<string>("--output", "-o") { Description = "Output format: text or json.", DefaultValueFactory = _ => Text };
        option.AcceptOnlyFromAmong(Text, Json);
        return option;
    }

    public static Option<bool> PasswordStdin(string description) => new("--password-stdin") { Description = description };

    public static Option<string?> Otp() => new("--otp") { Description = "The current one-time code from your authenticator (asked for when needed)." };

    public static Option<string?> TokenFile(string what, bool required = true) =>
        new("--token-file") { Description = $"File holding the {what} (a trailing newline is fine).", Required = required };

    public static Option<string?> OutFile(string what) => new("--out") { Description = $"Write the {what} to this file (created 0600) instead of standard output." };

    /// <summary><c>--trait k=v</c>, repeatable; the same key twice gives the trait several values.</summary>
    public static Option<string[]> Traits()
    {
        var option = new Option<string[]>("--trait") { Description = "A trait KEY=VALUE (repeat for more; a key repeated gets several values).", Arity = ArgumentArity.ZeroOrMore };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (ParseTrait(token.Value) is null) result.AddError($"--trait: \"{token.Value}\" is not KEY=VALUE");
        });
        return option;
    }

    /// <summary>A comma-separated list of role names (empty entries dropped).</summary>
    public static IReadOnlyList<string> SplitRoles(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Validates a comma-separated role list on an option or argument.</summary>
    public static void ValidateRoles(SymbolResult result, IEnumerable<Token> tokens, string what)
    {
        foreach (var token in tokens)
            foreach (var role in SplitRoles(token.Value))
                if (!NamePattern().IsMatch(role)) result.AddError($"{what}: \"{role}\" is not a role name");
    }

    public static (string Key, string Value)? ParseTrait(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) return null;
        var key = text[..eq].Trim();
        return key.Length == 0 ? null : (key, text[(eq + 1)..]);
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<string>>? ToTraits(string[]? values)
    {
        if (values is null || values.Length == 0) return null;
        var traits = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var (key, v) = ParseTrait(value) ?? throw Client.CliException.Usage($"--trait: \"{value}\" is not KEY=VALUE");
            if (!traits.TryGetValue(key, out var list)) traits[key] = list = [];
            if (!list.Contains(v, StringComparer.Ordinal)) list.Add(v);
        }
        return traits.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>A duration such as 90m, 24h or 7d (sent to the server as written).</summary>
    public static Option<string?> Duration(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !DurationPattern().IsMatch(text))
                result.AddError($"{name}: \"{text}\" is not a duration such as 90m, 24h or 7d");
        });
        return option;
    }

    /// <summary>A user, bot or role name as the API accepts them (checked again by the server).</summary>
    public static Argument<string> Name(string description, string argumentName = "NAME")
    {
        var argument = new Argument<string>(argumentName) { Description = description };
        argument.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (text is not null && !NamePattern().IsMatch(text)) result.AddError($"{argumentName}: \"{text}\" is not a valid name (no spaces, '/', '\\', '?', '#' or '%')");
        });
        return argument;
    }

    [GeneratedRegex(@"^[1-9][0-9]{0,5}[smhd]$")]
    private static partial Regex DurationPattern();

    // Lenient on purpose (the server owns the naming rules): no separators or spaces that would change the URL path.
    [GeneratedRegex(@"^[^\s/\\?#%]{1,128}$")]
    private static partial Regex NamePattern();
}
