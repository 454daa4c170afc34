using System.Buffers;
using System.CommandLine;
using System.Globalization;
using Custos.Core.Audit;
using Custos.Core.Installation;
using Custos.Storage;

namespace Custos.Cli.Audit;

/// <summary>
/// <c>custos audit export</c>: JSON Lines (header, checkpoints, events), offline and read-only: it appends nothing.
/// The export is a snapshot up to the head at its start.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory whose custos.db to export." };
        var database = new Option<string?>("--database") { Description = "Database URL (SQLite file or PostgreSQL)." };
        var format = new Option<string>("--format") { Description = "Export format (jsonl).", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl");
        var since = new Option<string?>("--since") { Description = "Only events at or after this RFC 3339 time." };
        var until = new Option<string?>("--until") { Description = "Only events before this RFC 3339 time." };
        var type = new Option<string?>("--type") { Description = "Only this event type (user.login) or family (user.*)." };
        var actor = new Option<string?>("--actor") { Description = "Only events by this actor (name or id)." };
        var target = new Option<string?>("--target") { Description = "Only events on this target." };
        var outcome = new Option<string?>("--outcome") { Description = "Only success, failure or denied." };
        outcome.AcceptOnlyFromAmong("success", "failure", "denied");
        var output = new Option<string?>("--out") { Description = "Write to this file (0600) instead of standard output." };
        var command = new Command("export", "Export audit events as JSON Lines that verify on their own (custos audit verify --file).")
        {
            dataDir, database, format, since, until, type, actor, target, outcome, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var query = new AuditQuery();
            var filters = new List<string>();
            if (parse.GetValue(since) is { } s)
            {
                if (!TryParseTime(s, out var t)) return Usage($"--since: \"{s}\" is not an RFC 3339 time");
                query = query with { Since = t };
                filters.Add("since=" + s);
            }
            if (parse.GetValue(until) is { } u)
            {
                if (!TryParseTime(u, out var t)) return Usage($"--until: \"{u}\" is not an RFC 3339 time");
                query = query with { Until = t };
                filters.Add("until=" + u);
            }
            if (parse.GetValue(type) is { } ty)
            {
                var probe = ty.EndsWith(".*", StringComparison.Ordinal) ? ty[..^2] + ".x" : ty;
                if (!AuditEntryValidator.IsValidType(probe) && !AuditEntryValidator.IsValidType(probe + ".x"))
                    return Usage($"--type: \"{ty}\" is not an event type such as user.login or user.*");
                query = query with { Type = ty };
                filters.Add("type=" + ty);
            }
            if (parse.GetValue(actor) is { } a) { query = query with { Actor = a }; filters.Add("actor=" + a); }
            if (parse.GetValue(target) is { } tg) { query = query with { Target = tg }; filters.Add("target=" + tg); }
            if (parse.GetValue(outcome) is { } o && AuditOutcomeNames.TryParse(o, out var oc)) { query = query with { Outcome = oc }; filters.Add("outcome=" + o); }

            try
            {
                await using var store = await OfflineInstallation.OpenForReadingAsync(parse.GetValue(dataDir), parse.GetValue(database), cancellationToken);
                var head = await store.GetHeadAsync(cancellationToken);
                query = query with { UpToSeq = head.Seq };
                var outPath = parse.GetValue(output);
                await using var stream = outPath is null
                    ? Console.OpenStandardOutput()
                    : new FileStream(outPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, BufferSize = 1 << 16 });
                // An existing file keeps its mode on truncation: the export is sensitive, so make it owner-only.
                if (outPath is not null) File.SetUnixFileMode(outPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                var header = new AuditExportHeader(AuditExport.FormatVersion, await store.GetSettingAsync(SettingKeys.AuditPublicKey, cancellationToken),
                    !query.IsUnfiltered, filters.Count == 0 ? null : string.Join("&", filters), AuditChain.FormatTime(DateTimeOffset.UtcNow), head.ToString());
                await AuditExport.WriteHeaderAsync(stream, header, cancellationToken);
                var buffer = new ArrayBufferWriter<byte>(1 << 16);
                await foreach (var c in store.ReadCheckpointsAsync(cancellationToken))
                {
                    if (c.Seq <= head.Seq) AuditExport.WriteCheckpoint(c, buffer);
                }
                long count = 0;
                await foreach (var e in store.ReadAsync(query, cancellationToken))
                {
                    AuditExport.WriteEvent(e, buffer);
                    count++;
                    if (buffer.WrittenCount > 1 << 15)
                    {
                        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
                        buffer.ResetWrittenCount();
                    }
                }
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
                if (outPath is not null) await Console.Error.WriteLineAsync($"exported {count} events (head {head}) to {outPath}");
                return ExitCodes.Success;
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Configuration)
            {
                return Usage(e.Message);
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                await Console.Error.WriteLineAsync("custos audit export: " + e.Message);
                return ExitCodes.IoError;
            }
        });
        return command;
    }

    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static int Usage(string message)
    {
        Console.Error.WriteLine("custos audit export: " + message);
        return ExitCodes.Usage;
    }
}
