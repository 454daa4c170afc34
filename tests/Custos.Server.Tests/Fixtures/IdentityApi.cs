using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Custos.Core.Identity;
using Custos.Server.Api.Identity;

namespace Custos.Server.Tests.Fixtures;

/// <summary>A thin JSON client of the identity API for tests; every call returns the status and the raw body too.</summary>
public sealed class IdentityApi(HttpClient client, string? token) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public HttpClient Client => client;

    public string? Token { get; set; } = token;

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body = null, string? contentType = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        if (body is string raw) request.Content = new StringContent(raw, System.Text.Encoding.UTF8, contentType ?? "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, text, response.Headers.RetryAfter?.Delta, response.Headers.WwwAuthenticate.ToString());
    }

    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body ?? new { });

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public void Dispose() => client.Dispose();
}

public sealed record ApiResponse(HttpStatusCode Status, string Body, TimeSpan? RetryAfter, string WwwAuthenticate)
{
    public T As<T>() => JsonSerializer.Deserialize<T>(Body, IdentityApi.Json) ?? throw new InvalidOperationException("empty body");

    public JsonNode Node => JsonNode.Parse(Body)!;

    /// <summary>The problem type slug (after urn:custos:problem:), or null when the body is not a problem.</summary>
    public string? Problem => Body.Length > 0 && Node is JsonObject o && o["type"]?.GetValue<string>() is { } t ? t.Replace("urn:custos:problem:", "", StringComparison.Ordinal) : null;

    public ApiResponse Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"expected {(int)status} {status}, got {(int)Status} {Status}: {Body}");
        return this;
    }

    public ApiResponse Expect(HttpStatusCode status, string problem)
    {
        Expect(status);
        Assert.Equal(problem, Problem);
        return this;
    }
}

/// <summary>Computes TOTP codes for an enrolment the way an authenticator app would.</summary>
public sealed class Authenticator(string base32Secret)
{
    private readonly byte[] _secret = OtpNet.Base32Encoding.ToBytes(base32Secret);

    public string CodeAt(DateTimeOffset time) => Totp.CodeAt(_secret, Totp.StepAt(time));
}
