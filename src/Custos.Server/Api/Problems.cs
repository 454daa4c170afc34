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

    /// <summary>401: no valid credentials. <paramref name="slug"/> says which (login-failed, invalid-token, ...).</summary>
    public static IResult Unauthorized(string slug, string title, string detail) =>
        new ChallengeProblem(Results.Problem(detail: detail, statusCode: StatusCodes.Status401Unauthorized, type: Type(slug), title: title));

    /// <summary>403: the caller is known but may not do this.</summary>
    public static IResult Forbidden(string slug, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, type: Type(slug), title: title);

    public static IResult NotFound(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, type: Type("not-found"), title: "Not found");

    public static IResult Conflict(string slug, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, type: Type(slug), title: title);

    /// <summary>429 with Retry-After (whole seconds, at least 1).</summary>
    public static IResult TooManyRequests(string slug, string title, string detail, TimeSpan retryAfter) =>
        new RetryAfterProblem(Results.Problem(detail: detail, statusCode: StatusCodes.Status429TooManyRequests, type: Type(slug), title: title), retryAfter);

    /// <summary>503 with Retry-After.</summary>
    public static IResult Busy(string detail, TimeSpan retryAfter) =>
        new RetryAfterProblem(Results.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, type: Type("busy"), title: "Service busy"), retryAfter);

    private sealed class ChallengeProblem(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"custos\"";
            return inner.ExecuteAsync(httpContext);
        }
    }

    private sealed class RetryAfterProblem(IResult inner, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    public static string Type(string slug) => "urn:custos:problem:" + slug;
}
