using System.Security.Cryptography;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Storage;

/// <summary>
/// <c>custos serve</c> refuses a database it must not use (damaged, someone else's, written by a newer Custos, or
/// given with a password on the command line) with a clear message, and leaves it as it found it.
/// </summary>
public sealed class BadDatabaseTests(SharedPostgres postgres) : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _root = new("custos-baddb");

    public void Dispose() => _root.Dispose();

    /// <summary>A data directory (0700) whose custos.db is whatever <paramref name="prepare"/> makes of it.</summary>
    private string DataDirWithDatabase(Action<string> prepare)
    {
        var dir = _root.Combine("data-" + Guid.NewGuid().ToString("n")[..6]);
        Directory.CreateDirectory(dir, OwnerOnly | UnixFileMode.UserExecute);
        prepare(Path.Combine(dir, "custos.db"));
        return dir;
    }

    private static Task<CliResult> ServeAsync(string dataDir, params string[] args) =>
        CustosCli.RunAsync(["serve", "--data-dir", dataDir, "--listen", $"127.0.0.1:{FreePort.Next()}", .. args]);

    private static void Sqlite(string path, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Random_bytes_as_the_database_file_are_refused_and_left_untouched()
    {
        var bytes = RandomNumberGenerator.GetBytes(64 * 1024);
        var dir = DataDirWithDatabase(path => File.WriteAllBytes(path, bytes));

        var result = await ServeAsync(dir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("not a SQLite database", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir, "custos.db"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(dir, "custos.db-wal")), "a WAL file was created next to the foreign file");
    }

    [Fact]
    public async Task Sqlite_database_of_another_application_is_refused_and_left_untouched()
    {
        var dir = DataDirWithDatabase(path => Sqlite(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'Ada');"));
        var before = await File.ReadAllBytesAsync(Path.Combine(dir, "custos.db"), TestContext.Current.CancellationToken);

        var result = await ServeAsync(dir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("not a Custos database", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("customers", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(dir, "custos.db"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(dir, "custos.db-wal")), "a WAL file was created next to the foreign file");
    }

    [Fact]
    public async Task Sqlite_schema_newer_than_this_custos_is_refused()
    {
        var dir = _root.Combine("newer");
        Directory.CreateDirectory(dir, OwnerOnly | UnixFileMode.UserExecute);
        var database = Path.Combine(dir, "custos.db");
        await HarnessProcess.AppendAsync(database, writers: 1, eventsPerWriter: 3);
        Sqlite(database, "INSERT INTO custos_schema_migrations (version, name, applied_at_us) VALUES (999, '0999_future.sql', 0)");

        var result = await ServeAsync(dir);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("newer", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("999", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_schema_newer_than_this_custos_is_refused()
    {
        var database = await postgres.CreateDatabaseAsync();
        await HarnessProcess.AppendAsync(database.Url, writers: 1, eventsPerWriter: 3);
        await database.ExecuteAsync("INSERT INTO custos_schema_migrations (version, name, applied_at_us) VALUES (999, '0999_future.sql', 0)");

        var result = await ServeAsync(_root.Combine("pg-newer"), "--database", database.Url);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("newer", result.Output, StringComparison.Ordinal);
        Assert.Equal(3L, Convert.ToInt64(await database.ScalarAsync("SELECT COUNT(*) FROM audit_events"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Postgres_database_of_another_application_is_refused_and_left_untouched()
    {
        var database = await postgres.CreateDatabaseAsync();
        await database.ExecuteAsync("CREATE TABLE customers (id integer PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada');");

        var result = await ServeAsync(_root.Combine("pg-foreign"), "--database", database.Url);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("not a Custos database", result.Output, StringComparison.Ordinal);
        var tables = await database.ScalarAsync("SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'");
        Assert.Equal("customers", tables);
    }

    [Fact]
    public async Task Postgres_database_that_does_not_exist_is_refused_naming_it()
    {
        var url = postgres.Cluster.Url("custos_never_created");

        var result = await ServeAsync(_root.Combine("pg-missing"), "--database", url);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("custos_never_created", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://custos:hunter2@127.0.0.1:5432/custos")]
    [InlineData("postgres://custos@127.0.0.1:5432/custos?password=hunter2")]
    [InlineData("Host=127.0.0.1;Username=custos;Password=hunter2;Database=custos")]
    public async Task Password_in_the_database_setting_exits_2_without_echoing_it(string database)
    {
        var dir = _root.Combine("pw");

        var result = await ServeAsync(dir, "--database", database);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("PGPASSWORD", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir), "the data directory was created although the configuration is invalid");
    }

    [Fact]
    public async Task Password_in_the_database_environment_variable_exits_2()
    {
        var result = await CustosCli.RunAsync(["serve", "--data-dir", _root.Combine("pw-env")],
            new Dictionary<string, string?> { ["CUSTOS_DATABASE__URL"] = "postgres://custos:hunter2@127.0.0.1/custos" });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.DoesNotContain("hunter2", result.Output, StringComparison.Ordinal);
    }
}
