using BenchmarkDotNet.Attributes;
using Custos.Core.Identity;
using Custos.Server.Configuration;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Server.Policy;
using Custos.Storage;
using Custos.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Custos.Benchmarks.Identity;

/// <summary>
/// Per-request cost of bearer-token validation on a warm cache of 10,000 sessions (100 users), filled through
/// <see cref="SessionCache.ValidateAsync"/> from a real SQLite store. Each call presents the next token of the 10,000,
/// so lookups spread over the whole map as they would under real traffic. The baseline is the floor: SHA-256 of the
/// same token text (which every validation has to compute).
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks
{
    private const int Users = 100;
    private const int Sessions = 10_000;

    private TempDirectory _dir = null!;
    private RelationalStore _store = null!;
    private SessionCache _cache = null!;
    private string[] _tokens = null!;
    private string[] _headers = null!;
    private ApiAuthentication _middleware = null!;
    private PolicyService _policy = null!;
    private DefaultHttpContext _http = null!;
    private LoginThrottle _throttle = null!;
    private IdentityRecord[] _identities = null!;
    private int _next;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _dir = new TempDirectory("custos-bench-tokens");
        var dataDir = new DataDirectory(_dir.Combine("data"));
        dataDir.EnsureCreated();
        _store = StoreFactory.Open(DatabaseLocation.SqliteFile(dataDir.DatabaseFile));
        await _store.MigrateAsync(CancellationToken.None);

        var now = DateTimeOffset.UtcNow;
        var identities = _identities = new IdentityRecord[Users];
        for (var u = 0; u < Users; u++)
        {
            var name = $"user{u:D3}";
            identities[u] = new IdentityRecord(SecretToken.NewId(), name, name, null, null, IdentityKind.User, IdentityStatus.Active,
                [BuiltInRoles.User], new Dictionary<string, IReadOnlyList<string>>(), now, null, 1);
            if (!await _store.TryCreateIdentityAsync(identities[u], CancellationToken.None)) throw new InvalidOperationException("identity not created");
        }

        _tokens = new string[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            _tokens[i] = SecretToken.NewSessionToken();
            await _store.CreateSessionAsync(new SessionRecord(SecretToken.NewId(), identities[i % Users].Id, SecretToken.Hash(_tokens[i]), SessionKind.Login,
                now, now.AddHours(12), now, "127.0.0.1", "bench", null, null), CancellationToken.None);
        }
        _headers = _tokens.Select(t => "Bearer " + t).ToArray();

        _cache = new SessionCache(_store, TimeProvider.System, TimeSpan.FromMinutes(30));
        foreach (var token in _tokens)
        {
            var (principal, rejection) = await _cache.ValidateAsync(token, CancellationToken.None);
            if (principal is null) throw new InvalidOperationException("token rejected while filling the cache: " + rejection);
        }
        if (_cache.Count != Sessions) throw new InvalidOperationException($"cache holds {_cache.Count} sessions, expected {Sessions}");

        var options = ConfigurationLoader.Load(null, new Dictionary<string, string?> { ["server.data_dir"] = dataDir.Root }, new Dictionary<string, string>());
        var runtime = new CustosRuntime { Store = _store, Options = options, DataDirectory = dataDir };
        _policy = new PolicyService(_store, runtime, TimeProvider.System, NullLogger<PolicyService>.Instance);
        _middleware = new ApiAuthentication(_ => Task.CompletedTask, _cache, runtime, _policy, TimeProvider.System);
        _throttle = new LoginThrottle(_store, TimeProvider.System, options.Identity.Lockout);
        _http = new DefaultHttpContext();
        _http.Request.Method = "GET";
        _http.Request.Path = "/v1/auth/whoami";
        _http.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(new AccessMetadata(AccessLevel.Session)), "WhoAmI"));
    }

    private int Next() => _next = _next + 1 == Sessions ? 0 : _next + 1;

    [Benchmark(Baseline = true, Description = "SHA-256 of the token (floor)")]
    public byte Sha256OfToken()
    {
        Span<byte> hash = stackalloc byte[32];
        SecretToken.Hash(_tokens[Next()], hash);
        return hash[0];
    }

    [Benchmark(Description = "SessionCache.TryValidateCached (hit)")]
    public CustosPrincipal? TryValidateCached()
    {
        var principal = _cache.TryValidateCached(_tokens[Next()], out var rejection);
        return principal ?? throw new InvalidOperationException("cache miss: " + rejection);
    }

    [Benchmark(Description = "ApiAuthentication middleware (session endpoint, hit)")]
    public Task Middleware()
    {
        _http.Request.Headers.Authorization = _headers[Next()];
        return _middleware.InvokeAsync(_http);
    }

    /// <summary>
    /// Not a validation: the three store reads that <c>GET /v1/auth/whoami</c> makes after authentication to build its
    /// user (TOTP, WebAuthn credentials, lockout), on the same SQLite file, to split that endpoint's cost.
    /// </summary>
    [Benchmark(Description = "whoami's store reads (TOTP, WebAuthn, lockout)")]
    public async Task<int> WhoAmIStoreReads()
    {
        var identity = _identities[Next() % Users];
        var totp = await _store.GetTotpAsync(identity.Id, CancellationToken.None);
        var webauthn = await _store.ListWebAuthnCredentialsAsync(identity.Id, CancellationToken.None);
        var locked = await _throttle.UserLockedUntilAsync(identity.NameKey, CancellationToken.None);
        return (totp is null ? 0 : 1) + webauthn.Count + (locked is null ? 0 : 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _policy.Dispose();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dir.Dispose();
    }
}
