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
