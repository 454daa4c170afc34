using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Text.Json;

namespace Custos.Cli.Client;

/// <summary>
/// The Custos REST API over HTTPS: JSON bodies in the API's snake_case, RFC 9457 problems turned into
/// <see cref="ApiException"/>, the bearer token when there is one, and one retry after step-up MFA when an admin
/// endpoint asks for it. It can be pointed at any base URL (and any handler, for tests).
/// </summary>
public sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;
    private readonly ServerTrust? _trust;

    public ApiClient(Uri baseAddress, ServerTrust trust, string? token = null)
        : this(baseAddress, CreateHandler(trust), token) => _trust = trust;

    public ApiClient(Uri baseAddress, HttpMessageHandler handler, string? token = null)
    {
        BaseAddress = baseAddress;
        Token = token;
        _http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress, Timeout = DefaultTimeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("custos-cli", typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
    }

    public Uri BaseAddress { get; }

    /// <summary>The bearer token sent with every request (never shown).</summary>
    public string? Token { get; }

    /// <summary>
    /// Called when an endpoint answers 403 <c>mfa-step-up-required</c>: it should confirm a fresh MFA code (POST
    /// /v1/auth/mfa/verify) and return true to retry the request once.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? StepUp { get; set; }

    public static SocketsHttpHandler CreateHandler(ServerTrust trust) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust.Validate(certificate, chain, errors),
        },
    };

    /// <summary>Sends and deserialises the answer.</summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        (await SendForJsonAsync<T>(method, path, body, cancellationToken)).Value;

    /// <summary>Sends and returns the answer both deserialised and as the JSON text received (for <c>-o json</c>).</summary>
    public async Task<(T Value, string Json)> SendForJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var (value, json, _) = await SendForStatusAsync<T>(method, path, body, cancellationToken);
        return (value, json);
    }

    /// <summary>
    /// Sends and returns the answer deserialised, as the JSON text received, and its success status (for endpoints
    /// whose 200 and 201 mean different things, such as "existed already" and "added").
    /// </summary>
    public async Task<(T Value, string Json, HttpStatusCode Status)> SendForStatusAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var (json, status) = await SendCoreAsync(method, path, body, cancellationToken);
        try
        {
            var value = JsonSerializer.Deserialize<T>(json, ApiJson.Options);
            return value is null ? throw new JsonException("the body is null") : (value, json, status);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Failure, $"the server's answer to {method} {path} is not what this client understands ({e.Message})", e);
        }
    }

    /// <summary>Sends a request whose answer has no body (204).</summary>
    public async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        await SendCoreAsync(method, path, body, cancellationToken);

    private async Task<(string Text, HttpStatusCode Status)> SendCoreAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var payload = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ApiJson.Options);
        var steppedUp = false;
        while (true)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (payload is not null)
            {
                request.Content = new ByteArrayContent(payload);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            if (Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await SendOnceAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode) return (text, response.StatusCode);
            var problem = ApiProblem.Parse((int)response.StatusCode, text, RetryAfter(response));
            if (!steppedUp && problem.Status == (int)HttpStatusCode.Forbidden && problem.Is(ApiProblem.MfaStepUpRequired) && StepUp is not null)
            {
                steppedUp = true;
                if (await StepUp(cancellationToken)) continue;
            }
            throw new ApiException(problem, Token is not null);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
        {
            throw new CliException(ExitCodes.Failure, $"cannot connect to {ConnectionSettings.Display(BaseAddress)} securely: {_trust?.LastRefusal ?? e.InnerException.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.IoError, $"cannot reach {ConnectionSettings.Display(BaseAddress)}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.IoError, $"{ConnectionSettings.Display(BaseAddress)} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}
