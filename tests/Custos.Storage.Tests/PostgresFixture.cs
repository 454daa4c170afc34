using Custos.Testing;

[assembly: AssemblyFixture(typeof(Custos.Storage.Tests.PostgresFixture))]

namespace Custos.Storage.Tests;

/// <summary>One real PostgreSQL cluster for the whole assembly; each test gets a fresh database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await PostgresCluster.StartAsync();

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
