using Microsoft.AspNetCore.Http;

namespace Custos.Server.Api;

/// <summary>RFC 9457 problem details with stable type URIs (docs/api.md lists them).</summary>
public static class Problems
{
    public static IResult Validation(string detail, IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: detail, type: Type("validation"), title: "The request is invalid");

    public static IResult Validation(string field, string message) =>
        Validation($"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static IResult Unavailable(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, type: Type("unavailable"), title: "Service unavailable");

    public static IResult UnsupportedMediaType(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status415UnsupportedMediaType, type: Type("unsupported-media-type"), title: "Unsupported media type");

    public static IResult PayloadTooLarge(long limit) =>
        Results.Problem(detail: $"the request body exceeds {limit} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, type: Type("payload-too-large"), title: "Request body too large");

    public static IResult MalformedJson(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, type: Type("malformed-json"), title: "Malformed JSON");

    public static string Type(string slug) => "urn:custos:problem:" + slug;
}
