using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;

namespace Custos.Cli.Policy;

/// <summary>
/// <c>--label KEY=VALUE</c> on the resource commands. A resource's labels map each key to one value, so a key given
/// twice with different values is refused rather than silently keeping one of them.
/// </summary>
public static class ResourceLabels
{
    public static Option<string[]> Option(string description)
    {
        var option = new Option<string[]>("--label") { Description = description, Arity = ArgumentArity.ZeroOrMore };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (CommonOptions.ParseTrait(token.Value) is null) result.AddError($"--label: \"{token.Value}\" is not KEY=VALUE");
        });
        return option;
    }

    /// <summary>The labels given, keys in order; empty when none. A malformed or conflicting label is a usage error.</summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string>? values)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var (key, v) = CommonOptions.ParseTrait(value) ?? throw CliException.Usage($"--label: \"{value}\" is not KEY=VALUE");
            if (labels.TryGetValue(key, out var earlier) && !string.Equals(earlier, v, StringComparison.Ordinal))
                throw CliException.Usage($"--label: {key} is given twice ({key}={earlier} and {key}={v}); a resource has one value per label");
            labels[key] = v;
        }
        return labels;
    }

    /// <summary>"env=prod, team=payments" (keys sorted), or "-".</summary>
    public static string Format(IReadOnlyDictionary<string, string>? labels) =>
        labels is null || labels.Count == 0
            ? "-"
            : string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
}
