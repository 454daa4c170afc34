using System.Text.Json;
using Custos.Server.Tests.Fixtures;
using Custos.Storage;

namespace Custos.Server.Tests.Audit;

/// <summary>
/// <c>custos audit export --format jsonl</c>: a full export verifies on its own; a filtered one verifies event by
/// event with the gaps reported; an edited line is caught. The export never writes to the log it reads.
/// </summary>
[Collection(StoppedInstallationsDefinition.Name)]
public sealed class AuditExportTests(StoppedInstallations installations)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> ExportAsync(AuditDatabase database, params string[] filters)
    {
        var file = Path.Combine(installations.Scratch, "export-" + Guid.NewGuid().ToString("n")[..8] + ".jsonl");
        var result = await CustosCli.RunAsync(["audit", "export", "--database", database.Url, "--format", "jsonl", .. filters, "--out", file]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return file;
    }

    private static Task<CliResult> VerifyFileAsync(string file) => CustosCli.RunAsync("audit", "verify", "--file", file, "-o", "json");

    private static async Task<List<long>> ExportedSeqsAsync(string file) =>
        [.. (await File.ReadAllLinesAsync(file, Ct)).Skip(1).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("seq", out _)).Select(e => e.GetProperty("seq").GetInt64())];

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Full_export_verifies_on_its_own(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var events = await database.EventsAsync();
        var file = await ExportAsync(database);

        var result = await VerifyFileAsync(file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(events.Count, result.Json.GetProperty("events").GetInt32());
        Assert.Equal(events[^1].Head, result.Json.GetProperty("head").GetString());
        Assert.Equal((await database.CheckpointsAsync()).Count, result.Json.GetProperty("checkpoints_verified").GetInt32());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task Every_exported_event_carries_seq_prev_hash_and_hash()
    {
        var database = installations[DatabaseEngine.Sqlite].Database;
        var events = await database.EventsAsync();
        var lines = await File.ReadAllLinesAsync(await ExportAsync(database), Ct);

        var header = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(1, header.GetProperty("custos_audit_export").GetInt32());
        Assert.False(header.GetProperty("filtered").GetBoolean());
        Assert.Equal(await database.AuditPublicKeyAsync(), header.GetProperty("public_key").GetString());
        var exported = lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).Where(e => !e.TryGetProperty("checkpoint", out _)).ToList();
        Assert.Equal(events.Select(e => e.Seq), exported.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(events.Select(e => Convert.ToHexStringLower(e.Hash)), exported.Select(e => e.GetProperty("hash").GetString()));
        Assert.Equal(events.Select(e => Convert.ToHexStringLower(e.PrevHash)), exported.Select(e => e.GetProperty("prev_hash").GetString()));
    }

    [Fact]
    public async Task Export_to_standard_output_verifies_as_well()
    {
        var installation = installations[DatabaseEngine.Sqlite];
        var result = await CustosCli.RunAsync("audit", "export", "--data-dir", installation.DataDir, "--format", "jsonl");
        Assert.True(result.ExitCode == 0, result.ToString());
        var file = Path.Combine(installations.Scratch, "stdout-" + Guid.NewGuid().ToString("n")[..8] + ".jsonl");
        await File.WriteAllTextAsync(file, result.Stdout, Ct);

        var verify = await VerifyFileAsync(file);

        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(9, verify.Json.GetProperty("events").GetInt32());
    }

    [Theory]
    [InlineData("--type", "server.*", new long[] { 2, 9 })]
    [InlineData("--type", "bootstrap.token.issue", new long[] { 8 })]
    [InlineData("--actor", "custos", new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    [InlineData("--outcome", "denied", new long[0])]
    public async Task Filtered_export_verifies_event_by_event_and_reports_the_gaps(string flag, string value, long[] expected)
    {
        var database = installations[DatabaseEngine.Sqlite].Database;
        var file = await ExportAsync(database, flag, value);
        Assert.Equal(expected, await ExportedSeqsAsync(file));

        var result = await VerifyFileAsync(file);

        Assert.True(result.ExitCode == 0, result.ToString());
        var last = expected.Length == 0 ? 0 : expected[^1];
        Assert.Equal(last - expected.Length, result.Json.GetProperty("gaps").GetInt64());
        if (last > expected.Length)
            Assert.Contains(result.Json.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("not in this selection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_filtered_by_target_and_time_selects_exactly_those_events()
    {
        var database = installations[DatabaseEngine.Sqlite].Database;
        var events = await database.EventsAsync();
        var issue = events.Single(e => e.Type == "bootstrap.token.issue");
        var since = DateTimeOffset.UnixEpoch.AddTicks(events[1].TimeUs * 10).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal([issue.Seq], await ExportedSeqsAsync(await ExportAsync(database, "--target", issue.Target!)));
        Assert.Equal(events.Where(e => e.TimeUs >= events[1].TimeUs).Select(e => e.Seq), await ExportedSeqsAsync(await ExportAsync(database, "--since", since)));
        Assert.Equal(events.Where(e => e.TimeUs < events[1].TimeUs).Select(e => e.Seq), await ExportedSeqsAsync(await ExportAsync(database, "--until", since)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Edited_export_line_is_reported_at_its_sequence_number(bool filtered)
    {
        var database = installations[DatabaseEngine.Sqlite].Database;
        var file = filtered ? await ExportAsync(database, "--type", "bootstrap.*") : await ExportAsync(database);
        var lines = await File.ReadAllLinesAsync(file, Ct);
        var index = Array.FindIndex(lines, l => l.Contains("\"seq\":8,", StringComparison.Ordinal));
        Assert.True(index > 0, "seq 8 (bootstrap.token.issue) is not in the export");
        Assert.Contains("\"outcome\":\"success\"", lines[index], StringComparison.Ordinal);
        lines[index] = lines[index].Replace("\"outcome\":\"success\"", "\"outcome\":\"denied\"", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines, Ct);

        var result = await VerifyFileAsync(file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(8, result.Json.GetProperty("first_bad_seq").GetInt64());
    }

    [Fact]
    public async Task Deleted_export_line_is_reported_at_its_sequence_number()
    {
        var file = await ExportAsync(installations[DatabaseEngine.Sqlite].Database);
        var lines = (await File.ReadAllLinesAsync(file, Ct)).Where(l => !l.Contains("\"seq\":2,", StringComparison.Ordinal) || l.StartsWith("{\"checkpoint\"", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(file, lines, Ct);

        var result = await VerifyFileAsync(file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(2, result.Json.GetProperty("first_bad_seq").GetInt64());
    }

    [Fact]
    public async Task Export_cut_short_of_the_head_it_states_is_reported_as_truncated()
    {
        // As exported from a running server: the newest events are not yet covered by a checkpoint.
        var database = await installations.CopyDatabaseAsync(DatabaseEngine.Sqlite);
        await database.ExecuteAsync("DELETE FROM audit_checkpoints WHERE seq > 2");
        var file = await ExportAsync(database);
        var whole = await VerifyFileAsync(file);
        Assert.True(whole.ExitCode == 0, whole.ToString());

        var lines = await File.ReadAllLinesAsync(file, Ct);
        Assert.Contains("\"seq\":9,", lines[^1], StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines[..^1], Ct);

        var result = await VerifyFileAsync(file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(9, result.Json.GetProperty("first_bad_seq").GetInt64());
        Assert.Contains("truncated", result.Json.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_appends_nothing_to_the_log()
    {
        var database = await installations.CopyDatabaseAsync(DatabaseEngine.Sqlite);
        var events = await database.EventsAsync();
        var checkpoints = await database.CheckpointsAsync();

        await ExportAsync(database);
        await ExportAsync(database, "--type", "server.*");

        Assert.Equal(events.Select(e => e.Head), (await database.EventsAsync()).Select(e => e.Head));
        Assert.Equal(checkpoints.Count, (await database.CheckpointsAsync()).Count);
    }
}
