using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Api;

/// <summary>GET /v1/audit/events and POST /v1/audit/events/search: every filter, paged with cursors.</summary>
[Collection(RunningSqliteServerDefinition.Name)]
public sealed class AuditQueryTests(RunningSqliteServer fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Page(IReadOnlyList<JsonElement> Events, string? NextCursor);

    private async Task<Page> GetPageAsync(string query)
    {
        using var response = await fixture.Client.GetAsync("/v1/audit/events?" + query, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        return ParsePage(text);
    }

    private static Page ParsePage(string text)
    {
        var root = JsonDocument.Parse(text).RootElement.Clone();
        var cursor = root.GetProperty("next_cursor");
        return new Page([.. root.GetProperty("events").EnumerateArray()], cursor.ValueKind == JsonValueKind.Null ? null : cursor.GetString());
    }

    private async Task<IReadOnlyList<JsonElement>> AllEventsAsync() => (await GetPageAsync("limit=1000")).Events;

    private static DateTimeOffset Time(JsonElement e) => DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);

    private static string? Text(JsonElement e, string member) => e.GetProperty(member).ValueKind == JsonValueKind.Null ? null : e.GetProperty(member).GetString();

    private static string Escape(string value) => Uri.EscapeDataString(value);

    /// <summary>The query string for one filter and which of <paramref name="all"/> it must select.</summary>
    private static (string Query, Func<JsonElement, bool> Selects) Filter(string name, IReadOnlyList<JsonElement> all)
    {
        var third = all[2];
        var issue = all.First(e => e.GetProperty("type").GetString() == "bootstrap.token.issue" && e.GetProperty("actor").GetProperty("id").GetString() == "custos-cli");
        return name switch
        {
            "none" => ("", _ => true),
            "since" => ($"since={Escape(third.GetProperty("time").GetString()!)}", e => Time(e) >= Time(third)),
            "until" => ($"until={Escape(third.GetProperty("time").GetString()!)}", e => Time(e) < Time(third)),
            "type" => ("type=bootstrap.token.issue", e => e.GetProperty("type").GetString() == "bootstrap.token.issue"),
            "type family" => ("type=bootstrap.*", e => e.GetProperty("type").GetString()!.StartsWith("bootstrap.", StringComparison.Ordinal)),
            "actor" => ("actor=custos-cli", e => e.GetProperty("actor").GetProperty("id").GetString() == "custos-cli"),
            "target" => ($"target={Escape(Text(issue, "target")!)}", e => Text(e, "target") == Text(issue, "target")),
            "outcome" => ("outcome=success", e => e.GetProperty("outcome").GetString() == "success"),
            "outcome with no match" => ("type=server.start&outcome=denied", _ => false),
            "combined" => ("type=bootstrap.*&actor=custos&outcome=success",
                e => e.GetProperty("type").GetString()!.StartsWith("bootstrap.", StringComparison.Ordinal) && e.GetProperty("actor").GetProperty("id").GetString() == "custos"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Fact]
    public async Task Events_come_in_gap_free_sequence_order_from_1()
    {
        var all = await AllEventsAsync();
        Assert.True(all.Count >= 5, $"expected at least 5 events, got {all.Count}");
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(["audit.key.create", "server.start", "role.create", "role.create", "role.create", "ssh_ca.create", "ssh_ca.create", "bootstrap.token.issue"], all.Take(8).Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Each_event_links_to_the_previous_one_by_hash()
    {
        var all = await AllEventsAsync();
        Assert.Equal(new string('0', 64), all[0].GetProperty("prev_hash").GetString());
        for (var i = 1; i < all.Count; i++)
            Assert.Equal(all[i - 1].GetProperty("hash").GetString(), all[i].GetProperty("prev_hash").GetString());
    }

    [Theory]
    [InlineData("none")]
    [InlineData("since")]
    [InlineData("until")]
    [InlineData("type")]
    [InlineData("type family")]
    [InlineData("actor")]
    [InlineData("target")]
    [InlineData("outcome")]
    [InlineData("outcome with no match")]
    [InlineData("combined")]
    public async Task Paging_with_cursors_returns_exactly_the_filtered_events_once_each(string filter)
    {
        var all = await AllEventsAsync();
        var (query, selects) = Filter(filter, all);
        var expected = all.Where(selects).Select(e => e.GetProperty("seq").GetInt64()).ToList();

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetPageAsync($"{query}&limit=2" + (cursor is null ? "" : "&cursor=" + Escape(cursor)));
            Assert.True(page.Events.Count <= 2, $"a page of limit 2 held {page.Events.Count} events");
            seen.AddRange(page.Events.Select(e => e.GetProperty("seq").GetInt64()));
            cursor = page.NextCursor;
            Assert.True(++pages <= all.Count + 1, "the cursor never ran out");
        }
        while (cursor is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(Math.Max(1, (expected.Count + 1) / 2), pages);
    }

    [Fact]
    public async Task Search_body_returns_the_same_pages_as_the_query_string()
    {
        var viaQuery = await GetPageAsync("type=bootstrap.*&actor=custos-cli&limit=1");
        Assert.NotNull(viaQuery.NextCursor);
        var body = JsonSerializer.Serialize(new { type = "bootstrap.*", actor = "custos-cli", limit = 1 });
        var viaBody = await SearchAsync(body);
        Assert.Equal(viaQuery.Events.Select(e => e.GetRawText()), viaBody.Events.Select(e => e.GetRawText()));
        Assert.Equal(viaQuery.NextCursor, viaBody.NextCursor);

        var secondViaQuery = await GetPageAsync($"type=bootstrap.*&actor=custos-cli&limit=1&cursor={Escape(viaQuery.NextCursor!)}");
        var secondViaBody = await SearchAsync(JsonSerializer.Serialize(new { type = "bootstrap.*", actor = "custos-cli", limit = 1, cursor = viaBody.NextCursor }));
        Assert.Equal(secondViaQuery.Events.Select(e => e.GetRawText()), secondViaBody.Events.Select(e => e.GetRawText()));
        Assert.NotEqual(viaQuery.Events[0].GetProperty("seq").GetInt64(), secondViaQuery.Events[0].GetProperty("seq").GetInt64());
    }

    private async Task<Page> SearchAsync(string body)
    {
        using var response = await fixture.Client.PostAsync("/v1/audit/events/search", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{body}: {(int)response.StatusCode} {text}");
        return ParsePage(text);
    }

    [Fact]
    public async Task Events_carry_every_audit_field()
    {
        var start = (await GetPageAsync("type=server.start&limit=1")).Events.Single();
        foreach (var member in new[] { "seq", "time", "type", "actor", "outcome", "target", "reason", "source", "request_id", "details", "prev_hash", "hash" })
            Assert.True(start.TryGetProperty(member, out _), $"server.start lacks {member}: {start}");
        Assert.Equal("system", start.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", start.GetProperty("time").GetString());
        Assert.Equal("sqlite", start.GetProperty("details").GetProperty("database").GetString());
        Assert.Equal($"127.0.0.1:{fixture.Server.Port}", start.GetProperty("details").GetProperty("listen").GetString());
    }
}
