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
