using Custos.Storage.Postgres;
using Npgsql;

namespace Custos.Storage.Tests;

public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreContract
{
    private string _connectionString = "";

    protected override async Task<RelationalStore> NewStoreAsync()
    {
        _connectionString = await postgres.Cluster.CreateDatabaseAsync();
        return PostgresStore.Open(DatabaseLocation.Parse(_connectionString));
    }

    protected override RelationalStore SameDatabase() => PostgresStore.Open(DatabaseLocation.Parse(_connectionString));

    protected override async Task ExecuteRawAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_read_only_store_reads_but_cannot_write()
    {
        var store = await MigratedAsync();
        await store.SetSettingAsync("a", "b", CancellationToken.None);
        await using var readOnly = PostgresStore.Open(DatabaseLocation.Parse(_connectionString), readOnly: true);
        Assert.Equal("b", await readOnly.GetSettingAsync("a", CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(() => readOnly.SetSettingAsync("a", "c", CancellationToken.None));
        Assert.Equal("b", await store.GetSettingAsync("a", CancellationToken.None));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_failure()
    {
        await using var store = PostgresStore.Open(DatabaseLocation.Parse($"postgres://postgres@127.0.0.1:{Custos.Testing.FreePort.Next()}/nothing"));
        var e = await Assert.ThrowsAsync<StorageException>(() => store.MigrateAsync(CancellationToken.None));
        Assert.True(e.IsTransient, e.Message);
        Assert.Contains("unreachable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_is_a_configuration_failure()
    {
        await using var store = PostgresStore.Open(DatabaseLocation.Parse(postgres.Cluster.Url("does_not_exist")));
        var e = await Assert.ThrowsAsync<StorageException>(() => store.MigrateAsync(CancellationToken.None));
        Assert.Equal(StorageFailure.Configuration, e.Failure);
    }
}
