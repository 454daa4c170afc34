using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Custos.Server.Api;

/// <summary>
/// Reads a JSON request body with precise problem details: 415 for a wrong content type, 413 past the size limit,
/// 400 for malformed JSON or a wrong shape (naming the path and position), unknown members refused.
/// </summary>
public static class JsonBody
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 32,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext http, long maxBytes, CancellationToken cancellationToken) where T : class
    {
        if (!http.Request.HasJsonContentType())
            return (null, Problems.UnsupportedMediaType($"expected Content-Type application/json, got {http.Request.ContentType ?? "none"}"));
        if (http.Request.ContentLength > maxBytes) return (null, Problems.PayloadTooLarge(maxBytes));
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = maxBytes;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Options, cancellationToken);
            return value is null ? (null, Problems.MalformedJson("the body must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : "";
            // System.Text.Json's messages name .NET types; say what is wrong in the API's own terms.
            var problem = e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown member"
                : e.Message.Contains("could not be converted", StringComparison.Ordinal) ? "wrong type for this member"
                : FirstSentence(e.Message);
            return (null, Problems.MalformedJson($"invalid JSON{where}{line}: {problem}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.PayloadTooLarge(maxBytes));
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
