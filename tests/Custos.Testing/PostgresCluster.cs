using System.Diagnostics;
using Npgsql;

namespace Custos.Testing;

/// <summary>
/// A real, throwaway PostgreSQL cluster: initdb into a temp directory, pg_ctl start on a free loopback port, trust
/// authentication for the test user. Debian keeps the binaries in /usr/lib/postgresql/VERSION/bin, and initdb and
/// postgres refuse to run as root, so as root they run as the postgres user in a directory it owns.
/// Missing binaries fail the test (scripts/test.sh installs them); nothing is skipped.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dataDir;
    private readonly bool _asPostgresUser;
    private int _databaseCounter;

    private PostgresCluster(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        Root = root;
        _dataDir = System.IO.Path.Combine(root, "data");
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public string Root { get; }

    public int Port { get; }

    public string User => "postgres";

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => System.IO.Path.Combine(d, "bin")).Where(d => File.Exists(System.IO.Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run scripts/test.sh, which installs them");
        var asPostgres = Environment.UserName == "root";
        var root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "custos-pg-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(root);
        var cluster = new PostgresCluster(bin, root, FreePort.Next(), asPostgres);
        if (asPostgres) await RunAsync("chown", ["postgres:postgres", root]);
        await cluster.RunPgAsync("initdb", ["-D", cluster._dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        await cluster.RunPgAsync("pg_ctl", ["-D", cluster._dataDir, "-l", System.IO.Path.Combine(root, "log"), "-w", "-t", "60",
            "-o", $"-p {cluster.Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200", "start"]);
        return cluster;
    }

    /// <summary>A connection string for a fresh, empty database in this cluster.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"custos_{Interlocked.Increment(ref _databaseCounter)}_{Guid.NewGuid().ToString("n")[..8]}";
        await using var connection = new NpgsqlConnection(AdminConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return AdminConnectionString(name);
    }

    public string Url(string database) => $"postgres://postgres@127.0.0.1:{Port}/{database}";

    public string AdminConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false;Timeout=10";

    /// <summary>Stops the server (fast shutdown) without removing data, to simulate an outage.</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", ["-D", _dataDir, "-m", "fast", "-w", "stop"]);

    public Task RestartAsync() => RunPgAsync("pg_ctl", ["-D", _dataDir, "-l", System.IO.Path.Combine(Root, "log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {Root} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"]);

    private Task RunPgAsync(string tool, string[] args)
    {
        var exe = System.IO.Path.Combine(_bin, tool);
        return _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunPgAsync("pg_ctl", ["-D", _dataDir, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
