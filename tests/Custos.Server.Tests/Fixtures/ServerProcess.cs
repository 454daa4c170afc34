using System.Globalization;
using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>A <c>custos serve</c> child process on a free loopback port, with a client pinned to its certificate.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private ServerProcess(CustosProcess process, string dataDir, int port, string? certificateFile)
    {
        Process = process;
        DataDir = dataDir;
        Port = port;
        CertificateFile = certificateFile ?? Path.Combine(dataDir, "tls", "server.crt");
    }

    public CustosProcess Process { get; }

    public string DataDir { get; }

    public int Port { get; }

    public string BaseUrl => $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The certificate clients pin: the generated DIR/tls/server.crt unless the server was given one.</summary>
    public string CertificateFile { get; }

    /// <summary>Everything the process wrote to the terminal so far.</summary>
    public string Output => Process.Stdout + Process.Stderr;

    /// <summary>Starts <c>custos serve --data-dir DIR --listen 127.0.0.1:PORT</c> plus <paramref name="args"/>.</summary>
    public static ServerProcess Start(string dataDir, IEnumerable<string>? args = null, IDictionary<string, string?>? environment = null, string? certificateFile = null)
    {
        var port = FreePort.Next();
        var process = CustosProcess.Start(
            ["serve", "--data-dir", dataDir, "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", .. args ?? []], environment);
        return new ServerProcess(process, dataDir, port, certificateFile);
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

    /// <summary>Polls /readyz, trusting only <see cref="CertificateFile"/>, until it answers 200.</summary>
    public async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + Timeouts.Ready;
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"custos exited with {Process.ExitCode}:\n{Output}");
            if (File.Exists(CertificateFile))
            {
                try
                {
                    using var client = CreateClient();
                    using var response = await client.GetAsync("/readyz");
                    if (response.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or System.Security.Cryptography.CryptographicException or IOException)
                {
                    // Not listening yet, or the certificate file is still being written.
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"custos was not ready within {Timeouts.Ready}:\n{Output}");
    }

    public HttpClient CreateClient() => CustosProcess.PinnedClient(CertificateFile, BaseUrl);

    public const string AdminPassword = "correct horse battery staple 7";

    /// <summary>
    /// Bootstraps the first administrator with DIR/bootstrap.token, logs in with a TOTP code, and returns a client that
    /// sends the session's bearer token (the audit API needs an administrator).
    /// </summary>
    public async Task<HttpClient> CreateAdminClientAsync(string user = "admin")
    {
        using var anonymous = CreateClient();
        var token = (await File.ReadAllTextAsync(Path.Combine(DataDir, "bootstrap.token"))).Trim();
        var bootstrap = await anonymous.PostAsync("/v1/auth/bootstrap", System.Net.Http.Json.JsonContent.Create(new { token, user, password = AdminPassword }));
        var body = await bootstrap.Content.ReadAsStringAsync();
        if (!bootstrap.IsSuccessStatusCode) throw new InvalidOperationException("bootstrap failed: " + body);
        var secret = OtpNet.Base32Encoding.ToBytes(System.Text.Json.Nodes.JsonNode.Parse(body)!["totp"]!["secret"]!.GetValue<string>());
        var otp = Custos.Core.Identity.Totp.CodeAt(secret, Custos.Core.Identity.Totp.StepAt(DateTimeOffset.UtcNow));
        var login = await anonymous.PostAsync("/v1/auth/login", System.Net.Http.Json.JsonContent.Create(new { user, password = AdminPassword, otp }));
        var loginBody = await login.Content.ReadAsStringAsync();
        if (!login.IsSuccessStatusCode) throw new InvalidOperationException("login failed: " + loginBody);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            System.Text.Json.Nodes.JsonNode.Parse(loginBody)!["token"]!.GetValue<string>());
        return client;
    }

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
