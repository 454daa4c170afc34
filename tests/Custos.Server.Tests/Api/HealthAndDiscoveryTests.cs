using System.Net;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Api;

/// <summary>/healthz, /readyz, /metrics and /openapi.json of a running server.</summary>
[Collection(RunningSqliteServerDefinition.Name)]
public sealed class HealthAndDiscoveryTests(RunningSqliteServer fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_answers_ok()
    {
        using var response = await fixture.Client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_answers_ready_with_the_durable_audit_head()
    {
        using var response = await fixture.Client.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        Assert.Matches("^[0-9]+:[0-9a-f]{64}$", body.RootElement.GetProperty("audit_head").GetString());
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_a_request_id()
    {
        using var response = await fixture.Client.GetAsync("/healthz", Ct);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.StartsWith("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task Metrics_expose_custos_gauges_in_prometheus_text_format()
    {
        using var response = await fixture.Client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var samples = (await response.Content.ReadAsStringAsync(Ct)).Split('\n')
            .Where(l => l.StartsWith("custos_", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, samples["custos_ready"]);
        Assert.Equal(1, samples["custos_audit_writable"]);
        // audit.key.create, server.start and bootstrap.token.issue were appended by this process.
        Assert.True(samples["custos_audit_events_appended"] >= 3, $"custos_audit_events_appended = {samples["custos_audit_events_appended"]}");
        Assert.True(samples["custos_audit_head_seq"] >= 3, $"custos_audit_head_seq = {samples["custos_audit_head_seq"]}");
    }

    [Fact]
    public async Task Metrics_declare_each_custos_gauge_with_help_and_type()
    {
        var text = await fixture.Client.GetStringAsync("/metrics", Ct);
        foreach (var name in new[] { "custos_ready", "custos_audit_writable", "custos_audit_events_appended", "custos_audit_head_seq" })
        {
            Assert.Contains($"# HELP {name} ", text, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {name} gauge", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Openapi_document_is_json_describing_the_audit_api()
    {
        using var response = await fixture.Client.GetAsync("/openapi.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("Custos API", root.GetProperty("info").GetProperty("title").GetString());
        var paths = root.GetProperty("paths");
        var list = paths.GetProperty("/v1/audit/events").GetProperty("get");
        var parameters = list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "since", "until", "type", "actor", "target", "outcome", "limit", "cursor" }, parameters);
        var search = paths.GetProperty("/v1/audit/events/search").GetProperty("post");
        Assert.True(search.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _), search.ToString());
        Assert.True(paths.TryGetProperty("/readyz", out _));
    }
}
