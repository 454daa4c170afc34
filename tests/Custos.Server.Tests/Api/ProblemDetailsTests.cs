using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Api;

/// <summary>Every error is an RFC 9457 problem document that says what was wrong.</summary>
[Collection(RunningSqliteServerDefinition.Name)]
public sealed class ProblemDetailsTests(RunningSqliteServer fixture)
{
    private const int DefaultMaxBodyBytes = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("type").GetString()));
        return problem;
    }

    private Task<HttpResponseMessage> SearchAsync(string body, string contentType = "application/json") =>
        fixture.Client.PostAsync("/v1/audit/events/search", new StringContent(body, Encoding.UTF8, contentType), Ct);

    [Fact]
    public async Task Unknown_path_is_a_404_problem()
    {
        using var response = await fixture.Client.GetAsync("/v1/no-such-thing", Ct);
        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound);
        // The problem names the request so a report can be matched with the server's log.
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem()
    {
        using var response = await fixture.Client.DeleteAsync("/v1/audit/events", Ct);
        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_saying_where()
    {
        using var response = await SearchAsync("{\"type\": \"server.start\",");
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("urn:custos:problem:malformed-json", problem.GetProperty("type").GetString());
        Assert.Contains("line 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_null_body_is_a_400_problem()
    {
        using var response = await SearchAsync("null");
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_member_is_a_400_problem_naming_the_member()
    {
        using var response = await SearchAsync("{\"outcome\": \"success\", \"actr\": \"alice\"}");
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("actr", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Custos.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal); // no .NET type names
    }

    [Fact]
    public async Task Member_of_the_wrong_json_type_is_a_400_problem_naming_the_member()
    {
        using var response = await SearchAsync("{\"limit\": \"ten\"}");
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("limit", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_content_type_is_a_415_problem()
    {
        using var response = await SearchAsync("{}", "text/plain");
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Missing_content_type_is_a_415_problem()
    {
        using var content = new ByteArrayContent("{}"u8.ToArray());
        using var response = await fixture.Client.PostAsync("/v1/audit/events/search", content, Ct);
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    // Over HTTP/1.1 a server that refuses a body it has not read must close the connection, and a client still sending
    // may see the reset before the response. Well-behaved clients avoid that race as these two do: Expect: 100-continue
    // for a large declared body, and HTTP/2 (which resets only the stream) for a body of unknown length.

    [Fact]
    public async Task Body_declared_over_the_size_limit_is_a_413_problem_before_it_is_sent()
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audit/events/search")
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("{\"type\": \"" + new string('a', DefaultMaxBodyBytes) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request, Ct);
        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains(DefaultMaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamed_body_over_the_size_limit_is_a_413_problem()
    {
        // No Content-Length: the limit must hold while the body streams in.
        using var client = Client();
        var body = Encoding.UTF8.GetBytes("{\"type\": \"" + new string('a', DefaultMaxBodyBytes) + "\"}");
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audit/events/search")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpVersion.Version20, response.Version);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>A client pinned to the server's certificate that waits for 100 Continue before sending a body.</summary>
    private HttpClient Client()
    {
        var pinned = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(fixture.Server.CertificateFile);
        var handler = new SocketsHttpHandler
        {
            Expect100ContinueTimeout = TimeSpan.FromSeconds(60),
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData),
            },
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = new Uri(fixture.Server.BaseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Authorization = fixture.Client.DefaultRequestHeaders.Authorization;
        return client;
    }

    [Fact]
    public async Task Body_just_under_the_size_limit_is_accepted()
    {
        var padding = new string(' ', DefaultMaxBodyBytes - 64);
        using var response = await SearchAsync("{\"outcome\": \"success\"" + padding + "}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("since=yesterday", "since")]
    [InlineData("since=2026-11-30", "since")]
    [InlineData("until=soon", "until")]
    [InlineData("since=2026-11-30T10:00:00Z&until=2026-11-30T09:00:00Z", "until")]
    [InlineData("type=Not%20A%20Type", "type")]
    [InlineData("type=*", "type")]
    [InlineData("outcome=maybe", "outcome")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("cursor=not-a-cursor!", "cursor")]
    [InlineData("cursor=c2VxOi0x", "cursor")]
    public async Task Invalid_query_filter_is_a_400_problem_naming_the_field(string query, string field)
    {
        using var response = await fixture.Client.GetAsync("/v1/audit/events?" + query, Ct);
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("urn:custos:problem:validation", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {problem}");
        Assert.NotEmpty(messages.EnumerateArray());
    }

    [Fact]
    public async Task Overlong_actor_and_target_are_400_problems_naming_each_field()
    {
        using var response = await fixture.Client.GetAsync($"/v1/audit/events?actor={new string('a', 257)}&target={new string('t', 1025)}", Ct);
        var errors = (await AssertProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("actor", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("target", out _), errors.ToString());
    }

    [Fact]
    public async Task Invalid_filters_in_a_search_body_are_400_problems_naming_every_field()
    {
        using var response = await SearchAsync("{\"outcome\": \"meh\", \"since\": \"noon\", \"limit\": 5000}");
        var errors = (await AssertProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal(["limit", "outcome", "since"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
