using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Custos.Cli.Client;

/// <summary>An RFC 9457 problem details document as the Custos API returns it, reduced to what the CLI shows.</summary>
public sealed record ApiProblem(
    string? Type,
    string? Title,
    string? Detail,
    int Status,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Errors,
    TimeSpan? RetryAfter)
{
    public const string TypePrefix = "urn:custos:problem:";
    public const string LoginFailed = TypePrefix + "login-failed";
    public const string MfaRequired = TypePrefix + "mfa-required";
    public const string MfaStepUpRequired = TypePrefix + "mfa-step-up-required";
    public const string LockedOut = TypePrefix + "locked-out";

    public bool Is(string type) => string.Equals(Type, type, StringComparison.Ordinal);

    /// <summary>
    /// Reads a response body: a problem document when it is one, otherwise a problem made of the status code (a proxy's
    /// HTML error page or an empty body must still give a useful message).
    /// </summary>
    public static ApiProblem Parse(int status, string? body, TimeSpan? retryAfter)
    {
        string? type = null, title = null, detail = null;
        var errors = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    type = StringMember(root, "type");
                    title = StringMember(root, "title");
                    detail = StringMember(root, "detail");
                    if (root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var n)) status = n;
                    if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object) ReadErrors(e, errors);
                }
            }
            catch (JsonException)
            {
                // Not JSON: fall through to the status line.
            }
        }
        return new ApiProblem(type, title, detail, status, errors, retryAfter);
    }

    private static void ReadErrors(JsonElement element, Dictionary<string, IReadOnlyList<string>> errors)
    {
        foreach (var field in element.EnumerateObject())
        {
            var messages = new List<string>();
            if (field.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in field.Value.EnumerateArray())
                    if (m.ValueKind == JsonValueKind.String) messages.Add(m.GetString()!);
            }
            else if (field.Value.ValueKind == JsonValueKind.String)
            {
                messages.Add(field.Value.GetString()!);
            }
            errors[field.Name] = messages;
        }
    }

    private static string? StringMember(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The message the CLI prints after <c>custos COMMAND: </c>: the detail, else the title, else the status.</summary>
    public string ToMessage()
    {
        var text = new StringBuilder(Detail ?? Title ?? $"the server answered {Status}");
        foreach (var (field, messages) in Errors)
        {
            foreach (var message in messages)
            {
                var line = $"{field}: {message}";
                // The detail often repeats the single error; say each thing once.
                if (!text.ToString().Contains(line, StringComparison.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"\n  {line}");
            }
        }
        if (RetryAfter is { } wait) text.Append(CultureInfo.InvariantCulture, $" (try again in {FormatWait(wait)})");
        return text.ToString();
    }

    private static string FormatWait(TimeSpan wait) =>
        wait.TotalSeconds < 120
            ? $"{Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s"
            : $"{Math.Ceiling(wait.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min";
}

/// <summary>The server answered with an error status; <see cref="SessionRejected"/> when a bearer token was refused.</summary>
public sealed class ApiException : Exception
{
    public ApiException(ApiProblem problem, bool sentToken) : base(problem.ToMessage())
    {
        Problem = problem;
        SessionRejected = sentToken && problem.Status == 401;
    }

    public ApiException()
    {
        Problem = ApiProblem.Parse(0, null, null);
    }

    public ApiException(string message) : base(message)
    {
        Problem = ApiProblem.Parse(0, null, null);
    }

    public ApiException(string message, Exception innerException) : base(message, innerException)
    {
        Problem = ApiProblem.Parse(0, null, null);
    }

    public ApiProblem Problem { get; }

    public bool SessionRejected { get; }
}
