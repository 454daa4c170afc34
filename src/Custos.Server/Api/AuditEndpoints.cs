using System.Globalization;
using System.Text;
using System.Text.Json;
using Custos.Core.Audit;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api;

/// <summary>One event as the API returns it (snake_case JSON).</summary>
public sealed record AuditEventDto(
    long Seq, string Time, string Type, AuditActor Actor, string Outcome, string? Target, string? Reason,
    AuditSource? Source, string? RequestId, JsonElement Details, string PrevHash, string Hash)
{
    public static AuditEventDto From(AuditEvent e) => new(e.Seq, AuditChain.FormatTime(e.Time), e.Type, e.Actor, e.Outcome.ToName(),
        e.Target, e.Reason, e.Source, e.RequestId, AuditEntryValidator.ParseDetails(e.Details),
        Convert.ToHexStringLower(e.PrevHash), Convert.ToHexStringLower(e.Hash));
}

public sealed record AuditEventPage(IReadOnlyList<AuditEventDto> Events, string? NextCursor);

/// <summary>The search filters, from the query string or a JSON body.</summary>
public sealed record AuditSearchRequest(string? Since, string? Until, string? Type, string? Actor, string? Target, string? Outcome, int? Limit, string? Cursor);

/// <summary>
/// The audit query API: filters (time range, type, actor, target, outcome) and cursor pagination in sequence order.
/// Reads never block the writer. (Authentication arrives with the identity issue; see docs/api.md.)
/// </summary>
public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit/events", (string? since, string? until, string? type, string? actor, string? target, string? outcome, string? limit, string? cursor,
            CustosRuntime runtime, CancellationToken cancellationToken) =>
        {
            int? parsedLimit = null;
            if (limit is not null)
            {
                if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    return Task.FromResult(Problems.Validation("limit", $"must be a whole number from 1 to {MaxLimit}"));
                parsedLimit = l;
            }
            return SearchAsync(new AuditSearchRequest(since, until, type, actor, target, outcome, parsedLimit, cursor), runtime, cancellationToken);
        }).WithName("ListAuditEvents").WithTags("audit").Produces<AuditEventPage>().ProducesProblem(400).ProducesProblem(503)
          .RequireAction(Core.Policy.PolicyActions.AuditRead).WithSummary("List audit events in sequence order, filtered, with cursor pagination (needs audit.read).");

        app.MapPost("/v1/audit/events/search", async (HttpContext http, CustosRuntime runtime, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<AuditSearchRequest>(http, runtime.Options.HttpMaxBodyBytes, cancellationToken);
            return problem ?? await SearchAsync(request!, runtime, cancellationToken);
        }).WithName("SearchAuditEvents").WithTags("audit").Accepts<AuditSearchRequest>("application/json").Produces<AuditEventPage>()
          .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503)
          .RequireAction(Core.Policy.PolicyActions.AuditRead).WithSummary("The same search with the filters in a JSON body (needs audit.read).");
        return app;
    }

    private static async Task<IResult> SearchAsync(AuditSearchRequest r, CustosRuntime runtime, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var query = new AuditQuery();
        if (r.Since is not null)
        {
            if (TryParseTime(r.Since, out var since)) query = query with { Since = since };
            else errors["since"] = ["must be an RFC 3339 time such as 2026-11-30T08:00:00Z"];
        }
        if (r.Until is not null)
        {
            if (TryParseTime(r.Until, out var until)) query = query with { Until = until };
            else errors["until"] = ["must be an RFC 3339 time such as 2026-11-30T18:00:00Z"];
        }
        if (query.Since is { } s && query.Until is { } u && u <= s) errors["until"] = ["must be after since"];
        if (r.Type is not null)
        {
            var bare = r.Type.EndsWith(".*", StringComparison.Ordinal) ? r.Type[..^2] + ".x" : r.Type;
            if (AuditEntryValidator.IsValidType(bare) || AuditEntryValidator.IsValidType(bare + ".x")) query = query with { Type = r.Type };
            else errors["type"] = ["must be a dotted event type such as user.login, or a family such as user.*"];
        }
        if (r.Actor is not null)
        {
            if (r.Actor.Length is > 0 and <= 256) query = query with { Actor = r.Actor };
            else errors["actor"] = ["must be 1-256 characters"];
        }
        if (r.Target is not null)
        {
            if (r.Target.Length is > 0 and <= 1024) query = query with { Target = r.Target };
            else errors["target"] = ["must be 1-1024 characters"];
        }
        if (r.Outcome is not null)
        {
            if (AuditOutcomeNames.TryParse(r.Outcome, out var outcome)) query = query with { Outcome = outcome };
            else errors["outcome"] = ["must be success, failure or denied"];
        }
        var limit = r.Limit ?? DefaultLimit;
        if (limit is < 1 or > MaxLimit) errors["limit"] = [$"must be from 1 to {MaxLimit}"];
        if (r.Cursor is not null)
        {
            if (TryDecodeCursor(r.Cursor, out var after)) query = query with { AfterSeq = after };
            else errors["cursor"] = ["is not a cursor returned by this API"];
        }
        if (errors.Count > 0) return Problems.Validation("the audit search filters are invalid", errors);
        if (runtime.NotReadyReason is { } reason) return Problems.Unavailable(reason);

        // One extra row tells whether another page exists.
        var events = new List<AuditEventDto>(limit);
        long last = 0;
        var more = false;
        await foreach (var e in runtime.Store.ReadAsync(query with { Limit = limit + 1 }, cancellationToken))
        {
            if (events.Count == limit)
            {
                more = true;
                break;
            }
            events.Add(AuditEventDto.From(e));
            last = e.Seq;
        }
        return Results.Ok(new AuditEventPage(events, more ? EncodeCursor(last) : null));
    }

    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
        && (text.Contains('T', StringComparison.Ordinal) || text.Contains('t', StringComparison.Ordinal));

    private static string EncodeCursor(long seq) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("seq:" + seq.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeCursor(string cursor, out long seq)
    {
        seq = 0;
        if (cursor.Length is 0 or > 64) return false;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("seq:", StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out seq) && seq >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
