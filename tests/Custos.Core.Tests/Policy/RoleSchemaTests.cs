using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Custos.Core.Policy;
using YamlDotNet.Serialization;

namespace Custos.Core.Tests.Policy;

/// <summary>
/// docs/role.schema.json stays faithful to the parser: the same keys at every level, the same enumerations, and the
/// sample documents (and a set of invalid ones) get the same verdict from both. The schema is checked with a small
/// validator for the subset of JSON Schema it uses.
/// </summary>
public class RoleSchemaTests
{
    private static readonly JsonObject Schema = Load();

    private static JsonObject Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Custos.slnx")))
            dir = dir.Parent;
        return JsonNode.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "docs", "role.schema.json")))!.AsObject();
    }

    private static JsonObject Def(string name) => Schema["$defs"]![name]!.AsObject();

    private static string[] Keys(JsonObject obj) => [.. obj["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];

    private static string[] Sorted(string[] keys) => [.. keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void The_schema_has_the_parsers_keys_at_every_level()
    {
        Assert.Equal(Sorted(RoleParser.TopKeys), Keys(Schema));
        Assert.Equal(Sorted(RoleParser.AllowKeys), Keys(Def("allowRule")));
        Assert.Equal(Sorted(RoleParser.DenyKeys), Keys(Def("denyRule")));
        Assert.Equal(Sorted(RoleParser.SelectorKeys), Keys(Def("selector")));
        Assert.Equal(Sorted(RoleParser.WindowKeys), Keys(Def("timeWindow")));
        var allow = Def("allowRule")["properties"]!;
        Assert.Equal(Sorted(RoleParser.ConditionKeys), Keys(allow["conditions"]!.AsObject()));
        Assert.Equal(Sorted(RoleParser.SessionKeys), Keys(allow["session"]!.AsObject()));
        var request = Schema["properties"]!["request"]!.AsObject();
        Assert.Equal(Sorted(RoleParser.RequestKeys), Keys(request));
        Assert.Equal(Sorted(RoleParser.ReviewerKeys), Keys(request["properties"]!["reviewers"]!.AsObject()));
    }

    [Fact]
    public void The_schema_enumerates_exactly_the_known_actions_and_their_wildcards()
    {
        var listed = Def("action")["enum"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.All(listed, a => Assert.NotEmpty(PolicyActions.Expand(a)));
        Assert.Equal(PolicyActions.All.Order(StringComparer.Ordinal), listed.Where(a => !a.Contains('*', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var prefixes = PolicyActions.All.SelectMany(a => Enumerable.Range(1, a.Count(c => c == '.')).Select(n => string.Join('.', a.Split('.').Take(n)) + ".*"));
        Assert.Equal(prefixes.Append("*").Distinct().Order(StringComparer.Ordinal), listed.Where(a => a.Contains('*', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> Samples => [.. RoleSamples.All];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_documents_are_valid_for_the_schema_and_the_parser(string yaml)
    {
        Assert.Empty(Validate(yaml));
        RoleParser.Parse(yaml);
    }

    [Theory]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], colour: red }\n")]
    [InlineData("kind: role\nname: x\nallow: { actions: [ssh.shell] }\n")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { mfa: always } }\n")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { max_ttl: soon } }\n")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { recording: maybe } }\n")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: printer }], actions: [users.read] }\n")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: app, labels: { env: { a: b } } }], actions: [app.access] }\n")]
    [InlineData("kind: role\nname: x\ndeny: { actions: [users.read], session: { max_ttl: 2h } }\n")]
    [InlineData("kind: role\nname: X\nallow: { actions: [users.read] }\n")]
    [InlineData("kind: group\nname: x\nallow: { actions: [users.read] }\n")]
    [InlineData("kind: role\nname: x\n")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\nrequest: { reviewers: { approvals: 17 } }\n")]
    public void Invalid_documents_fail_both_the_schema_and_the_parser(string yaml)
    {
        Assert.NotEmpty(Validate(yaml));
        Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
    }

    private static List<string> Validate(string yaml)
    {
        var document = new DeserializerBuilder().Build().Deserialize<object>(yaml);
        var errors = new List<string>();
        Check(document, Schema, "", errors);
        return errors;
    }

    /// <summary>The subset of JSON Schema 2020-12 the role schema uses; YAML scalars arrive as strings.</summary>
    private static void Check(object? value, JsonObject schema, string path, List<string> errors)
    {
        if (schema["$ref"] is { } reference)
        {
            Check(value, Def(reference.GetValue<string>()["#/$defs/".Length..]), path, errors);
            return;
        }
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var passing = oneOf.Count(s => { var e = new List<string>(); Check(value, s!.AsObject(), path, e); return e.Count == 0; });
            if (passing != 1)
                errors.Add($"{path}: matches {passing} alternatives of oneOf");
            return;
        }
        if (schema["anyOf"] is JsonArray anyOf && value is Dictionary<object, object> forAny
            && !anyOf.Any(s => s!["required"]!.AsArray().All(r => forAny.ContainsKey(r!.GetValue<string>()))))
            errors.Add($"{path}: none of anyOf");
        if (schema["const"] is { } constant && value as string != constant.GetValue<string>())
            errors.Add($"{path}: expected {constant}");
        if (schema["enum"] is JsonArray values && !values.Any(v => v!.GetValue<string>() == value as string))
            errors.Add($"{path}: not in enum");
        switch (schema["type"]?.GetValue<string>())
        {
            case "object":
                if (value is not Dictionary<object, object> map)
                {
                    errors.Add($"{path}: expected object");
                    return;
                }
                var properties = schema["properties"]?.AsObject();
                foreach (var required in schema["required"]?.AsArray() ?? [])
                {
                    if (!map.ContainsKey(required!.GetValue<string>()))
                        errors.Add($"{path}.{required}: required");
                }
                foreach (var (key, item) in map)
                {
                    var name = (string)key;
                    if (properties?[name] is JsonObject property)
                        Check(item, property, $"{path}.{name}", errors);
                    else if (schema["additionalProperties"] is JsonObject additional)
                    {
                        if (schema["propertyNames"]?["pattern"] is { } namePattern && !Regex.IsMatch(name, namePattern.GetValue<string>()))
                            errors.Add($"{path}.{name}: bad property name");
                        Check(item, additional, $"{path}.{name}", errors);
                    }
                    else
                        errors.Add($"{path}.{name}: unknown property");
                }
                break;
            case "array":
                if (value is not List<object> list)
                {
                    errors.Add($"{path}: expected array");
                    return;
                }
                if (schema["minItems"] is { } min && list.Count < min.GetValue<int>())
                    errors.Add($"{path}: too few items");
                if (schema["maxItems"] is { } max && list.Count > max.GetValue<int>())
                    errors.Add($"{path}: too many items");
                for (var i = 0; i < list.Count; i++)
                    Check(list[i], schema["items"]!.AsObject(), $"{path}[{i}]", errors);
                break;
            case "string":
                if (value is not string s)
                {
                    errors.Add($"{path}: expected string");
                    return;
                }
                if (schema["pattern"] is { } pattern && !Regex.IsMatch(s, pattern.GetValue<string>()))
                    errors.Add($"{path}: does not match {pattern}");
                if (schema["minLength"] is { } minLength && s.Length < minLength.GetValue<int>())
                    errors.Add($"{path}: too short");
                break;
            case "boolean":
                if (value is not ("true" or "false"))
                    errors.Add($"{path}: expected boolean");
                break;
            case "integer":
                if (value is not string digits || !int.TryParse(digits, out var n)
                    || (schema["minimum"] is { } lo && n < lo.GetValue<int>()) || (schema["maximum"] is { } hi && n > hi.GetValue<int>()))
                    errors.Add($"{path}: expected integer in range");
                break;
        }
    }
}
