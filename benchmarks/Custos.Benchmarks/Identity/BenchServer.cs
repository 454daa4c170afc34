using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Custos.Core.Identity;
using Custos.Server.Api.Identity;
using Custos.Testing;

namespace Custos.Benchmarks.Identity;

/// <summary>
/// A real <c>custos serve</c> process (Release build, SQLite, HTTPS with its generated certificate) on a throwaway
/// data directory, bootstrapped with an administrator who is logged in. The server runs in its own process so its
/// memory (/proc/PID/status) is not mixed with the load generator's.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    public const string AdminPassword = "correct horse battery staple 7";
    public const string UserPassword = "a long and unusual passphrase 42";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly TempDirectory _root;
    private readonly CustosProcess _process;

    private BenchServer(TempDirectory root, CustosProcess process, int port)
    {
        _root = root;
        _process = process;
        BaseUrl = $"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public string BaseUrl { get; }

    public int Pid => _process.Pid;

    public string AdminToken { get; private set; } = "";

    private string DataDir => _root.Combine("data");

    /// <summary>Starts the server with extra settings (as CUSTOS_SECTION__KEY variables) and bootstraps the administrator.</summary>
    public static async Task<BenchServer> StartAsync(IDictionary<string, string> settings)
    {
        var root = new TempDirectory("custos-bench-identity");
        var port = FreePort.Next();
        var environment = new Dictionary<string, string?> { ["CUSTOS_LOG__LEVEL"] = "warning" };
        foreach (var (key, value) in settings) environment["CUSTOS_" + key.ToUpperInvariant().Replace(".", "__", StringComparison.Ordinal)] = value;
        var process = CustosProcess.Start(["serve", "--data-dir", root.Combine("data"), "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"], environment);
        var server = new BenchServer(root, process, port);
        await process.WaitReadyAsync(server.DataDir, port, TimeSpan.FromSeconds(60));
        await server.BootstrapAsync();
        return server;
    }

    /// <summary>A client that pins the server's certificate; <paramref name="maxConnections"/> caps the keep-alive pool.</summary>
    public HttpClient CreateClient(int maxConnections = int.MaxValue)
    {
        var pinned = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir, "tls", "server.crt"));
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    private async Task BootstrapAsync()
    {
        using var client = CreateClient();
        var bootstrapToken = (await File.ReadAllTextAsync(Path.Combine(DataDir, "bootstrap.token"))).Trim();
        var enrollment = await PostAsync<EnrollmentResponse>(client, "/v1/auth/bootstrap", new BootstrapRequest(bootstrapToken, "admin", AdminPassword, "Bench Admin", null));
        var secret = OtpNet.Base32Encoding.ToBytes(enrollment.Totp!.Secret);
        var login = await PostAsync<LoginResponse>(client, "/v1/auth/login",
            new LoginRequest("admin", AdminPassword, Totp.CodeAt(secret, Totp.StepAt(DateTimeOffset.UtcNow)), null));
        AdminToken = login.Token;
    }

    /// <summary>Creates users through the admin API and accepts their invitations (each sets an Argon2id password).</summary>
    public async Task<IReadOnlyList<string>> AddUsersAsync(int count)
    {
        using var admin = CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = $"user{i.ToString("D3", CultureInfo.InvariantCulture)}";
            var created = await PostAsync<CreateUserResponse>(admin, "/v1/users", new CreateUserRequest(name, null, $"{name}@example.com", null, null, null));
            using var anonymous = CreateClient();
            await PostAsync<EnrollmentResponse>(anonymous, "/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, UserPassword, null, null));
            names.Add(name);
        }
        return names;
    }

    public static async Task<T> PostAsync<T>(HttpClient client, string path, object body)
    {
        using var content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, Json) ?? throw new InvalidOperationException($"POST {path}: empty body");
    }

    /// <summary>A line of /proc/PID/status in KiB (VmRSS = resident now, VmHWM = peak resident since start).</summary>
    public long ReadStatusKiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var digits = line.AsSpan(field.Length + 1).Trim();
            return long.Parse(digits[..digits.IndexOf(' ')], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"no {field} in /proc/{Pid}/status");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _root.Dispose();
    }
}
