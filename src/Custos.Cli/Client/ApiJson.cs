using System.Text.Json;
using System.Text.Json.Nodes;

namespace Custos.Cli.Client;

/// <summary>The API's JSON conventions: snake_case member names, nulls omitted on the way out.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>Re-indents a JSON text as received (for <c>-o json</c>), keeping members this client does not know.</summary>
    public static string Indent(string json) =>
        JsonNode.Parse(json)?.ToJsonString(Indented) ?? "null";
}
