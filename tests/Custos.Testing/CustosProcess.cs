using System.Diagnostics;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Custos.Testing;

/// <summary>Runs the real <c>custos</c> executable (custos.dll beside the test assembly) as a child process.</summary>
public sealed class CustosProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CustosProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string CustosDll => RepoPaths.CustosDll;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static CustosProcess Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(CustosDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CUSTOS_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        return new CustosProcess(Process.Start(psi)!);
    }

    /// <summary>Runs a custos command to completion and returns (exit code, stdout, stderr).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        await using var p = Start(args, environment);
        p._process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await p._process.WaitForExitAsync(cts.Token);
        p._process.WaitForExit(); // drain async output
        return (p._process.ExitCode, p.Stdout, p.Stderr);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a Unix signal (SIGTERM = 15, SIGKILL = 9).</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>An HttpClient that trusts exactly the given certificate (pinning, as clients do with --ca-file).</summary>
    public static HttpClient PinnedClient(string certificateFile, string baseAddress)
    {
        var pinned = X509CertificateLoader.LoadCertificateFromFile(certificateFile);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Polls /readyz until 200 or the timeout.</summary>
    public async Task WaitReadyAsync(string dataDir, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"custos exited with {_process.ExitCode}: {Stderr}{Stdout}");
            var cert = Path.Combine(dataDir, "tls", "server.crt");
            if (File.Exists(cert))
            {
                try
                {
                    using var client = PinnedClient(cert, $"https://127.0.0.1:{port}");
                    using var response = await client.GetAsync("/readyz");
                    if (response.IsSuccessStatusCode) return;
                }
                catch (HttpRequestException)
                {
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"custos was not ready within {timeout}: {Stderr}{Stdout}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
    }
}
