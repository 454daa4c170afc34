using Custos.Core.Audit;
using Custos.Storage.Sqlite;
using Custos.Testing;
using Microsoft.Data.Sqlite;

namespace Custos.Storage.Tests;

public sealed class SqliteStoreTests : StoreContract, IDisposable
{
    private readonly TempDirectory _dir = new("custos-sqlite");
    private string _path = "";

    protected override Task<RelationalStore> NewStoreAsync()
    {
        _path = _dir.Combine($"db-{Guid.NewGuid():n}.db");
        return Task.FromResult<RelationalStore>(SqliteStore.Open(_path));
    }

    protected override RelationalStore SameDatabase() => SqliteStore.Open(_path);

    protected override async Task ExecuteRawAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_path};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Filtered_queries_return_events_the_search_index_has_not_caught_up_with()
    {
        var store = await MigratedAsync();
        using var key = Custos.Core.Audit.AuditSigningKey.Generate();
        await using (var log = new Custos.Core.Audit.AuditLog(store, key, TimeProvider.System, new Custos.Core.Audit.AuditLogOptions(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Custos.Core.Audit.AuditLog>.Instance))
        {
            await log.StartAsync(CancellationToken.None);
            for (var i = 0; i < 20; i++)
                await log.AppendAsync(new Custos.Core.Audit.AuditEntry(i % 2 == 0 ? "user.login" : "user.logout",
                    new Custos.Core.Audit.AuditActor("user", "u1", i < 10 ? "alice" : "bob"), Custos.Core.Audit.AuditOutcome.Success, Target: "node/" + i));
        }
        // Simulate an index that lags: forget the newest half of audit_search (a crash before the second stage ran).
        await ExecuteRawAsync("DELETE FROM audit_search WHERE seq > 10");
        var logins = new List<long>();
        await foreach (var e in store.ReadAsync(new Custos.Core.Audit.AuditQuery { Type = "user.login" }, CancellationToken.None)) logins.Add(e.Seq);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)(i * 2) + 1), logins);
        var bob = new List<long>();
        await foreach (var e in store.ReadAsync(new Custos.Core.Audit.AuditQuery { Actor = "bob", Target = "node/15" }, CancellationToken.None)) bob.Add(e.Seq);
        Assert.Equal([16L], bob);
    }

    [Fact]
    public async Task Sustained_appends_are_checkpointed_in_the_background_and_the_WAL_is_rewound()
    {
        var store = (SqliteStore)await MigratedAsync();
        store.CheckpointPeriod = TimeSpan.FromMilliseconds(20);
        store.RewindPages = 64;
        store.MinRewindInterval = TimeSpan.FromMilliseconds(50);
        using var key = AuditSigningKey.Generate();
        var head = AuditHead.Empty;
        var padding = new string('x', 400);
        const int batches = 300, perBatch = 50;
        for (var b = 0; b < batches; b++)
        {
            var entries = Enumerable.Range(0, perBatch).Select(i =>
            {
                var entry = new AuditEntry("bench.append", new AuditActor("bot", "w" + i, "writer"), AuditOutcome.Success,
                    Reason: padding, RequestId: $"req-{b}-{i}");
                return (entry, AuditEntryValidator.Validate(entry));
            }).ToList();
            var batch = new AuditBatch(entries, DateTimeOffset.UtcNow, head, withCheckpoint: b % 20 == 19, key.SignCheckpoint);
            await store.AppendAsync(batch, CancellationToken.None);
            head = batch.NewHead;
            await Task.Delay(2);
        }
        // ~7 MiB of events went through the WAL; without rewinds the WAL file would hold all of it.
        var wal = new FileInfo(_path + "-wal").Length;
        var written = (long)batches * perBatch * padding.Length;
        Assert.True(wal < written / 3, $"WAL {wal} bytes after {written} bytes of events");
        Assert.True(store.RewindCount >= 2, $"rewinds: {store.RewindCount}");
        // Nothing lost on the way: every event is readable and the chain verifies.
        var result = await AuditVerifier.VerifyStoreAsync(store, [], key.PublicKey, new AuditVerificationOptions { }, CancellationToken.None);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(batches * perBatch, result.EventCount);
        Assert.Equal(head.ToString(), result.Head.ToString());
    }

    /// <summary>Appends <paramref name="count"/> varied events; returns the checkpoints signed.</summary>
    private static async Task<List<AuditCheckpoint>> AppendChainAsync(RelationalStore store, AuditSigningKey key, int count)
    {
        var checkpoints = new List<AuditCheckpoint>();
        var head = AuditHead.Empty;
        for (var done = 0; done < count; done += 25)
        {
            var entries = Enumerable.Range(done + 1, Math.Min(25, count - done)).Select(i =>
            {
                var entry = new AuditEntry(i % 2 == 0 ? "user.login" : "ssh.session.start", new AuditActor("user", "u" + i, "ünï \"q\" " + i),
                    (AuditOutcome)(i % 3), Target: i % 3 == 0 ? null : "node/" + i, Reason: i % 4 == 0 ? "tab\there" : null,
                    Source: i % 5 == 0 ? null : new AuditSource(i % 2 == 0 ? null : "10.0.0." + i, "agent/1"), RequestId: "req-" + i,
                    Details: new System.Text.Json.Nodes.JsonObject { ["i"] = i, ["line"] = "a\nb" });
                return (entry, AuditEntryValidator.Validate(entry));
            }).ToList();
            var batch = new AuditBatch(entries, DateTimeOffset.UtcNow, head, withCheckpoint: true, key.SignCheckpoint);
            await store.AppendAsync(batch, CancellationToken.None);
            checkpoints.Add(batch.Checkpoint!);
            head = batch.NewHead;
        }
        return checkpoints;
    }

    private static async Task<AuditVerificationResult> VerifyRowsAsync(RelationalStore store, IReadOnlyList<AuditCheckpoint> checkpoints, byte[] key, int rangeSize)
    {
        var head = await store.GetHeadAsync(CancellationToken.None);
        return await AuditVerifier.VerifyLinksAsync(AuditVerifier.LinksFromStore(store, head.Seq, CancellationToken.None, rangeSize),
            checkpoints, key, new AuditVerificationOptions(), CancellationToken.None);
    }

    [Fact]
    public async Task Verify_reads_stored_rows_as_bytes_and_hashes_them_as_the_events_were_hashed()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        Assert.True((await VerifyRowsAsync(store, [], key.PublicKey, 10)).Intact); // an empty log
        var checkpoints = await AppendChainAsync(store, key, 100);
        var result = await VerifyRowsAsync(store, checkpoints, key.PublicKey, 10);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(100, result.EventCount);
        Assert.Equal(4, result.CheckpointsVerified);
        var whole = await AuditVerifier.VerifyStoreAsync(store, checkpoints, key.PublicKey, new(), CancellationToken.None);
        Assert.Equal(result.Head.ToString(), whole.Head.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(50)]
    [InlineData(100)]
    public async Task A_changed_row_is_found_at_its_sequence_number_on_either_side_of_a_range_edge(long seq)
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var checkpoints = await AppendChainAsync(store, key, 100);
        await ExecuteRawAsync($"DROP TRIGGER audit_events_no_update; UPDATE audit_events SET request_id = 'forged' WHERE seq = {seq}");
        var result = await VerifyRowsAsync(store, checkpoints, key.PublicKey, 10);
        Assert.False(result.Intact);
        Assert.Equal(seq, result.FirstBadSeq);
        Assert.Contains("does not match its contents", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hash_stored_as_text_or_a_deleted_row_is_reported_not_thrown()
    {
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var checkpoints = await AppendChainAsync(store, key, 30);
        await ExecuteRawAsync("DROP TRIGGER audit_events_no_update; UPDATE audit_events SET hash = hex(hash) WHERE seq = 20");
        var result = await VerifyRowsAsync(store, checkpoints, key.PublicKey, 10);
        Assert.Equal(20, result.FirstBadSeq);
        Assert.Contains("wrong type", result.Problem, StringComparison.Ordinal);
        await ExecuteRawAsync("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq = 10");
        result = await VerifyRowsAsync(store, checkpoints, key.PublicKey, 10);
        Assert.Equal(10, result.FirstBadSeq);
        Assert.Contains("missing", result.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("target = 12345")]
    [InlineData("actor_name = x'c3'")]
    [InlineData("details = x'7b7d'")]
    [InlineData("reason = ''")]
    public async Task A_column_rewritten_with_another_storage_type_is_read_and_reported_as_modified(string assignment)
    {
        // An integer, invalid UTF-8 in a BLOB, JSON in a BLOB, an empty string for NULL: SQLite converts each on read.
        var store = await MigratedAsync();
        using var key = AuditSigningKey.Generate();
        var checkpoints = await AppendChainAsync(store, key, 30);
        await ExecuteRawAsync($"DROP TRIGGER audit_events_no_update; UPDATE audit_events SET {assignment} WHERE seq = 7");
        var result = await VerifyRowsAsync(store, checkpoints, key.PublicKey, 10);
        Assert.False(result.Intact);
        Assert.Equal(7, result.FirstBadSeq);
    }

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_refused_and_left_unchanged()
    {
        var path = _dir.Combine("garbage.db");
        var bytes = new byte[8192];
        Random.Shared.NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
        await using var store = SqliteStore.Open(path);
        var e = await Assert.ThrowsAsync<StorageException>(() => store.MigrateAsync(CancellationToken.None));
        Assert.Equal(StorageFailure.Foreign, e.Failure);
        Assert.Contains("not a SQLite database", e.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task The_database_file_is_created_owner_only_in_WAL_mode()
    {
        await MigratedAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        await using var connection = new SqliteConnection($"Data Source={_path};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_read_only_store_reads_but_cannot_write()
    {
        var store = await MigratedAsync();
        await store.SetSettingAsync("a", "b", CancellationToken.None);
        await using var readOnly = SqliteStore.Open(_path, readOnly: true);
        Assert.Equal("b", await readOnly.GetSettingAsync("a", CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(() => readOnly.SetSettingAsync("a", "c", CancellationToken.None));
        Assert.Equal("b", await store.GetSettingAsync("a", CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
