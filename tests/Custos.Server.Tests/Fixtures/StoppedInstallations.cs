using Custos.Storage;
using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>An installation that ran once and was stopped with SIGTERM: what it left behind.</summary>
public sealed record StoppedInstallation(DatabaseEngine Engine, string DataDir, AuditDatabase Database, int ExitCode, string Output);

/// <summary>
/// One installation per engine, each started on an empty data directory and stopped gracefully. Its audit log
/// (audit.key.create, server.start, bootstrap.token.issue, server.stop) is the pristine material the shutdown tests
/// inspect and the tamper and export tests copy before changing anything.
/// </summary>
public sealed class StoppedInstallations(SharedPostgres postgres) : IAsyncLifetime
{
    private readonly TempDirectory _root = new("custos-stopped");
    private readonly Dictionary<DatabaseEngine, StoppedInstallation> _installations = [];

    public StoppedInstallation this[DatabaseEngine engine] => _installations[engine];

    public string Scratch => _root.Path;

    public async ValueTask InitializeAsync()
    {
        var postgresDatabase = await postgres.CreateDatabaseAsync();
        var results = await Task.WhenAll(
            RunOnceAsync(DatabaseEngine.Sqlite, _root.Combine("sqlite"), null),
            RunOnceAsync(DatabaseEngine.Postgres, _root.Combine("postgres"), postgresDatabase));
        foreach (var r in results) _installations[r.Engine] = r;
    }

    private static async Task<StoppedInstallation> RunOnceAsync(DatabaseEngine engine, string dataDir, AuditDatabase? database)
    {
        database ??= AuditDatabase.Sqlite(Path.Combine(dataDir, "custos.db"));
        await using var server = await ServerProcess.StartReadyAsync(dataDir, engine == DatabaseEngine.Postgres ? ["--database", database.Url] : null);
        var exitCode = await server.StopAsync();
        return new StoppedInstallation(engine, dataDir, database, exitCode, server.Output);
    }

    /// <summary>A copy of the whole installation (data directory and database) that a test may change.</summary>
    public async Task<StoppedInstallation> CopyAsync(DatabaseEngine engine)
    {
        var original = this[engine];
        var dataDir = Path.Combine(_root.Path, "copy-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(dataDir, "tls"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in new[] { "master.key", "bootstrap.token", "tls/server.crt", "tls/server.key" })
            File.Copy(Path.Combine(original.DataDir, file), Path.Combine(dataDir, file));
        var database = await original.Database.CloneAsync(dataDir, "custos.db");
        return original with { DataDir = dataDir, Database = database };
    }

    /// <summary>A copy of the database alone.</summary>
    public Task<AuditDatabase> CopyDatabaseAsync(DatabaseEngine engine) => this[engine].Database.CloneAsync(_root.Path);

    public ValueTask DisposeAsync()
    {
        _root.Dispose();
        return ValueTask.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class StoppedInstallationsDefinition : ICollectionFixture<StoppedInstallations>
{
    public const string Name = "stopped installations";
}
