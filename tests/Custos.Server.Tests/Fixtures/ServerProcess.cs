using System.Globalization;
using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>A <c>custos serve</c> child process on a free loopback port, with a client pinned to its certificate.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private ServerProcess(CustosProcess process, string dataDir, int port)
    {
        Process = process;
        DataDir = dataDir;
        Port = port;
    }

    public CustosProcess Process { get; }

    public string DataDir { get; }

    public int Port { get; }

    public string BaseUrl => $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string CertificateFile => Path.Combine(DataDir, "tls", "server.crt");

    /// <summary>Everything the process wrote to the terminal so far.</summary>
    public string Output => Process.Stdout + Process.Stderr;

    /// <summary>Starts <c>custos serve --data-dir DIR --listen 127.0.0.1:PORT</c> plus <paramref name="args"/>.</summary>
    public static ServerProcess Start(string dataDir, IEnumerable<string>? args = null, IDictionary<string, string?>? environment = null)
    {
        var port = FreePort.Next();
        var process = CustosProcess.Start(
            ["serve", "--data-dir", dataDir, "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", .. args ?? []], environment);
        return new ServerProcess(process, dataDir, port);
    }

    /// <summary>Starts a server and waits until /readyz answers 200.</summary>
    public static async Task<ServerProcess> StartReadyAsync(string dataDir, IEnumerable<string>? args = null, IDictionary<string, string?>? environment = null)
    {
        var server = Start(dataDir, args, environment);
        try
        {
            await server.WaitReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public Task WaitReadyAsync() => Process.WaitReadyAsync(DataDir, Port, Timeouts.Ready);

    public HttpClient CreateClient() => CustosProcess.PinnedClient(CertificateFile, BaseUrl);

    /// <summary>Sends SIGTERM (or <paramref name="signal"/>, e.g. 2 for SIGINT) and waits for the exit code.</summary>
    public async Task<int> StopAsync(int signal = 15)
    {
        Process.Signal(signal);
        return await Process.WaitForExitAsync(Timeouts.Exit);
    }

    /// <summary>Waits until the terminal output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"\"{text}\" did not appear within {timeout}; output so far:\n{Output}");
            if (Process.HasExited) throw new InvalidOperationException($"custos exited with {Process.ExitCode} before printing \"{text}\":\n{Output}");
            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
