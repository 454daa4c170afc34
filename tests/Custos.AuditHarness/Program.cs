// Test-only harness (never shipped): appends audit events from many concurrent writers and prints one line per
// acknowledged event, "ack SEQ WRITER N", only after AppendAsync returned (the event is durable). The crash test
// kills this process with SIGKILL and checks that every printed sequence number survived and the chain verifies.
//
// usage: Custos.AuditHarness --database URL-or-SQLite-path [--writers 256] [--events-per-writer 1000000]
using System.Globalization;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Installation;
using Custos.Storage;
using Microsoft.Extensions.Logging.Abstractions;

string? database = null;
var writers = 256;
var perWriter = 1_000_000;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--database": database = args[++i]; break;
        case "--writers": writers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--events-per-writer": perWriter = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (database is null)
{
    Console.Error.WriteLine("--database is required");
    return 2;
}

await using var store = StoreFactory.Open(DatabaseLocation.Parse(database));
await store.MigrateAsync(CancellationToken.None);
using var key = AuditSigningKey.Generate();
var stored = await store.GetOrAddSettingAsync(SettingKeys.AuditPublicKey, AuditSigningKey.FormatPublicKey(key.PublicKey), CancellationToken.None);
if (stored != AuditSigningKey.FormatPublicKey(key.PublicKey))
{
    Console.Error.WriteLine("the database already has another audit key; use a fresh database");
    return 2;
}
await using var log = new AuditLog(store, key, TimeProvider.System, new AuditLogOptions(), NullLogger<AuditLog>.Instance);
await log.StartAsync(CancellationToken.None);

var output = Console.Out;
var gate = new object();
Console.Error.WriteLine("harness: started");
var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    for (var n = 0; n < perWriter; n++)
    {
        var e = await log.AppendAsync(new AuditEntry("harness.append", new AuditActor("bot", "writer-" + w, "writer-" + w), AuditOutcome.Success,
            Target: "n/" + n, Details: new JsonObject { ["writer"] = w, ["n"] = n }));
        lock (gate) output.WriteLine($"ack {e.Seq} {w} {n}");
    }
})).ToArray();
await Task.WhenAll(tasks);
return 0;
