using Custos.Testing;
using Npgsql;

namespace Custos.Server.Tests.Fixtures;

/// <summary>The assembly's PostgreSQL cluster (started once, since initdb is the slowest thing these tests do).</summary>
public sealed class SharedPostgres : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("the PostgreSQL cluster is not started");

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync();

    /// <summary>A fresh, empty database in the shared cluster.</summary>
    public async Task<AuditDatabase> CreateDatabaseAsync()
    {
        var connectionString = await Cluster.CreateDatabaseAsync();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        return AuditDatabase.Postgres(connectionString, Cluster.Url(name));
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
