using System.Text.Json.Nodes;
using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

/// <summary>Builds valid chains in memory.</summary>
internal static class AuditTestData
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    public static List<AuditEvent> Chain(int count)
    {
        var events = new List<AuditEvent>(count);
        var prev = AuditChain.GenesisHash.ToArray();
        for (var i = 1; i <= count; i++)
        {
            var details = AuditEntryValidator.Validate(new AuditEntry("x.y", AuditActor.System, AuditOutcome.Success,
                Details: new JsonObject { ["i"] = i, ["note"] = "ü\"\n" }));
            var e = new AuditEvent(i, T0.AddTicks(i * 10), i % 3 == 0 ? "user.login" : "server.start",
                new AuditActor("user", "u" + (i % 5), "alice" + (i % 5)), (AuditOutcome)(i % 3), i % 2 == 0 ? "node/" + i : null,
                i % 7 == 0 ? "because" : null, i % 4 == 0 ? new AuditSource("10.0.0." + (i % 250), "curl/8") : null,
                "req-" + i, details, prev, []);
            e = e with { Hash = AuditChain.ComputeHash(e) };
            events.Add(e);
            prev = e.Hash;
        }
        return events;
    }

    public static async IAsyncEnumerable<AuditEvent> Stream(IEnumerable<AuditEvent> events)
    {
        foreach (var e in events)
        {
            yield return e;
        }
        await Task.CompletedTask;
    }
}
