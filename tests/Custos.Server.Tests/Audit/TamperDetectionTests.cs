using System.Security.Cryptography;
using Custos.Server.Tests.Fixtures;
using Custos.Storage;

namespace Custos.Server.Tests.Audit;

/// <summary>
/// <c>custos audit verify</c> against a log someone changed behind Custos's back, directly in the database, on both
/// engines. The pristine log is audit.key.create (1), server.start (2), bootstrap.token.issue (3), server.stop (4).
/// </summary>
[Collection(StoppedInstallationsDefinition.Name)]
public sealed class TamperDetectionTests(StoppedInstallations installations)
{
    private async Task<AuditDatabase> TamperedCopyAsync(DatabaseEngine engine, string sql)
    {
        var copy = await installations.CopyDatabaseAsync(engine);
        await copy.RemoveAppendOnlyGuardAsync();
        await copy.ExecuteAsync(sql);
        return copy;
    }

    private static void AssertTampered(CliResult result, long firstBadSeq)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.False(result.Json.GetProperty("intact").GetBoolean());
        Assert.Equal(firstBadSeq, result.Json.GetProperty("first_bad_seq").GetInt64());
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Intact_log_exits_0_and_prints_the_event_count_and_head(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var head = (await database.EventsAsync())[^1].Head;

        var result = await CustosCli.RunAsync("audit", "verify", "--database", database.Url);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("intact: 9 events", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"head: {head}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_dir_and_sqlite_url_forms_verify_the_installations_log()
    {
        var installation = installations[DatabaseEngine.Sqlite];
        var head = (await installation.Database.EventsAsync())[^1].Head;
        var result = await CustosCli.RunAsync("audit", "verify", "--data-dir", installation.DataDir, "-o", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(head, result.Json.GetProperty("head").GetString());
        var url = await CustosCli.RunAsync("audit", "verify", "--database", "sqlite:" + installation.Database.Url, "-o", "json");
        Assert.True(url.ExitCode == 0, url.ToString());
        Assert.Equal(head, url.Json.GetProperty("head").GetString());
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite, "actor_name = 'mallory'")]
    [InlineData(DatabaseEngine.Sqlite, "outcome = 'failure'")]
    [InlineData(DatabaseEngine.Sqlite, "time_us = time_us + 1")]
    [InlineData(DatabaseEngine.Sqlite, "details = '{}'")]
    [InlineData(DatabaseEngine.Postgres, "actor_name = 'mallory'")]
    [InlineData(DatabaseEngine.Postgres, "target = 'bootstrap-token/0000000000000000'")]
    public async Task Modified_field_is_reported_at_its_sequence_number(DatabaseEngine engine, string assignment)
    {
        var database = await TamperedCopyAsync(engine, $"UPDATE audit_events SET {assignment} WHERE seq = 3");
        AssertTampered(await CustosCli.VerifyAsync(database), 3);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Modified_field_is_named_in_the_text_report(DatabaseEngine engine)
    {
        var database = await TamperedCopyAsync(engine, "UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2");
        var result = await CustosCli.RunAsync("audit", "verify", "--database", database.Url);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("first bad sequence number 2", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Deleted_event_is_reported_at_its_sequence_number(DatabaseEngine engine)
    {
        var database = await TamperedCopyAsync(engine, "DELETE FROM audit_events WHERE seq = 2");
        AssertTampered(await CustosCli.VerifyAsync(database), 2);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Swapped_events_are_reported_at_the_first_of_them(DatabaseEngine engine)
    {
        // Rows 2 and 3 exchange their contents (hashes included): each still hashes correctly on its own.
        var database = await TamperedCopyAsync(engine,
            "UPDATE audit_events SET seq = -seq WHERE seq IN (2, 3); UPDATE audit_events SET seq = 5 + seq WHERE seq IN (-2, -3);");
        var events = await database.EventsAsync();
        Assert.Equal(["audit.key.create", "role.create", "server.start", "role.create", "role.create", "ssh_ca.create", "ssh_ca.create", "bootstrap.token.issue", "server.stop"], events.Select(e => e.Type));
        AssertTampered(await CustosCli.VerifyAsync(database), 2);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Inserted_event_is_reported_at_its_sequence_number(DatabaseEngine engine)
    {
        // A forged event appended with a correct link but a made-up hash.
        var hex = Engine(engine, "X'{0}'", "'\\x{0}'::bytea");
        var database = await TamperedCopyAsync(engine,
            "INSERT INTO audit_events (seq, time_us, type, actor_kind, actor_id, actor_name, outcome, details, prev_hash, hash) " +
            $"SELECT 10, time_us + 1, 'user.login', 'user', 'mallory', 'mallory', 'success', '{{}}', hash, {string.Format(System.Globalization.CultureInfo.InvariantCulture, hex, new string('a', 64))} FROM audit_events WHERE seq = 9");
        AssertTampered(await CustosCli.VerifyAsync(database), 10);
    }

    private static string Engine(DatabaseEngine engine, string sqlite, string postgres) => engine == DatabaseEngine.Sqlite ? sqlite : postgres;

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Truncated_log_is_caught_only_with_the_expected_head(DatabaseEngine engine)
    {
        var recordedHead = (await installations[engine].Database.EventsAsync())[^1].Head;
        // The attacker drops the newest events and the checkpoints that cover them: what is left is a valid shorter log.
        var database = await TamperedCopyAsync(engine, "DELETE FROM audit_events WHERE seq > 2; DELETE FROM audit_checkpoints WHERE seq > 2;");

        var without = await CustosCli.VerifyAsync(database);
        Assert.True(without.ExitCode == 0, "a truncated log is indistinguishable without a head recorded elsewhere: " + without);

        var with = await CustosCli.VerifyAsync(database, "--expect-head", recordedHead);
        AssertTampered(with, 3);
        Assert.Contains("truncated", with.Json.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Truncation_that_leaves_the_checkpoints_is_caught_without_an_expected_head(DatabaseEngine engine)
    {
        var database = await TamperedCopyAsync(engine, "DELETE FROM audit_events WHERE seq = 4");
        AssertTampered(await CustosCli.VerifyAsync(database), 4);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Expected_head_that_differs_from_the_log_is_reported(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var result = await CustosCli.VerifyAsync(database, "--expect-head", $"3:{new string('f', 64)}");
        AssertTampered(result, 3);
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Another_trusted_key_fails_verification(DatabaseEngine engine)
    {
        var database = installations[engine].Database;
        var stranger = "ed25519:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var result = await CustosCli.VerifyAsync(database, "--trusted-key", stranger);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("trusted key", result.Json.GetProperty("problem").GetString(), StringComparison.Ordinal);
        var right = await CustosCli.VerifyAsync(database, "--trusted-key", await database.AuditPublicKeyAsync());
        Assert.True(right.ExitCode == 0, right.ToString());
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Forged_checkpoint_signature_is_reported(DatabaseEngine engine)
    {
        var database = await TamperedCopyAsync(engine, "UPDATE audit_checkpoints SET signature = " +
            Engine(engine, "zeroblob(64)", "decode(repeat('00', 64), 'hex')") + " WHERE seq = 9");
        AssertTampered(await CustosCli.VerifyAsync(database), 9);
    }

    [Fact]
    public async Task Bad_expected_head_or_trusted_key_is_a_usage_error()
    {
        var database = installations[DatabaseEngine.Sqlite].Database;
        Assert.Equal(2, (await CustosCli.VerifyAsync(database, "--expect-head", "four")).ExitCode);
        Assert.Equal(2, (await CustosCli.VerifyAsync(database, "--trusted-key", "rsa:AAAA")).ExitCode);
        Assert.Equal(2, (await CustosCli.RunAsync("audit", "verify")).ExitCode);
    }

    [Fact]
    public async Task Unreachable_database_or_unreadable_file_is_an_io_error()
    {
        var unreachable = await CustosCli.RunAsync("audit", "verify", "--database", $"postgres://postgres@127.0.0.1:{Custos.Testing.FreePort.Next()}/custos");
        Assert.True(unreachable.ExitCode == 3, unreachable.ToString());
        Assert.Contains("unreachable", unreachable.Stderr, StringComparison.Ordinal);

        var absent = await CustosCli.RunAsync("audit", "verify", "--file", Path.Combine(installations.Scratch, "absent.jsonl"));
        Assert.True(absent.ExitCode == 3, absent.ToString());
    }

    [Fact]
    public async Task Database_that_is_not_a_custos_database_is_named_as_such()
    {
        var random = Path.Combine(installations.Scratch, "random.db");
        await File.WriteAllBytesAsync(random, RandomNumberGenerator.GetBytes(64 * 1024), TestContext.Current.CancellationToken);
        var foreign = AuditDatabase.Sqlite(Path.Combine(installations.Scratch, "foreign.db"));
        await foreign.ExecuteAsync("CREATE TABLE customers (id INTEGER PRIMARY KEY)");

        foreach (var path in new[] { random, foreign.Url })
        {
            foreach (var command in new[] { "verify", "export" })
            {
                var result = await CustosCli.RunAsync("audit", command, "--database", path);
                Assert.True(result.ExitCode == 3, $"audit {command} {path}: {result}");
                Assert.Contains("is not a Custos database", result.Stderr, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public async Task Database_written_by_a_newer_custos_is_named_as_such(DatabaseEngine engine)
    {
        var database = await installations.CopyDatabaseAsync(engine);
        await database.ExecuteAsync("INSERT INTO custos_schema_migrations (version, name, applied_at_us) VALUES (999, '0999_future.sql', 0)");

        var result = await CustosCli.VerifyAsync(database);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("newer than this Custos knows", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_database_file_is_a_usage_error_and_is_not_created()
    {
        var missing = Path.Combine(installations.Scratch, "absent.db");
        var result = await CustosCli.RunAsync("audit", "verify", "--database", missing);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(File.Exists(missing));
    }
}
