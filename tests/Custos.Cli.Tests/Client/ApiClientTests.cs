using System.Security.Cryptography;
using Custos.Cli.Client;
using Custos.Server.Api.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Client;

public sealed class ApiClientTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static Task<FakeApi> StartAsync() => FakeApi.StartAsync(app =>
    {
        app.MapPost("/v1/auth/login", async (HttpContext context) =>
        {
            var request = await context.Request.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
            if (request?["otp"] is null)
            {
                await FakeApi.Problem(context, 401, "mfa-required", "a one-time code is required");
                return;
            }
            context.Response.Headers.RetryAfter = "120";
            await FakeApi.Problem(context, 429, "locked-out", $"{request["user"]} is locked out");
        });
        app.MapGet("/v1/auth/whoami", (HttpContext context) =>
            context.Request.Headers.Authorization == "Bearer cst_good"
                ? Results.Text("""{"user":{"id":"u1","name":"alice","kind":"user","status":"active","roles":["dev"],"traits":{"team":["db"]},"created_at":"2030-01-01T00:00:00Z","revision":3,"mfa_enrolled":true,"webauthn_credentials":0},"session":{"id":"s1","user_id":"u1","user":"alice","kind":"user","created_at":"2030-01-01T00:00:00Z","expires_at":"2030-01-01T08:00:00Z","current":true,"future_member":1}}""", "application/json")
                : Results.Problem(statusCode: 401, type: "urn:custos:problem:unauthenticated", detail: "the session is not valid"));
        var stepUps = 0;
        app.MapPost("/v1/auth/mfa/verify", () =>
        {
            stepUps++;
            return Results.Json(new { id = "s1", user_id = "u1", user = "alice", kind = "user", created_at = "x", expires_at = "y", mfa_at = "z", current = true });
        });
        app.MapDelete("/v1/users/{name}", (string name) =>
            stepUps == 0 ? Results.Problem(statusCode: 403, type: "urn:custos:problem:mfa-step-up-required", detail: "confirm a fresh code") : Results.NoContent());
    });

    [Fact]
    public async Task Pinned_server_is_reached_and_json_is_read_in_snake_case_keeping_the_raw_text()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.Pinned(SHA256.HashData(api.Certificate.RawData)), "cst_good");
        var (who, json) = await client.SendForJsonAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, None);
        Assert.Equal("alice", who.User.Name);
        Assert.Equal(["db"], who.User.Traits["team"]);
        Assert.Equal("2030-01-01T08:00:00Z", who.Session.ExpiresAt);
        Assert.Contains("future_member", json);
    }

    [Fact]
    public async Task Server_with_another_certificate_is_refused_before_anything_is_sent()
    {
        await using var api = await StartAsync();
        using var other = TestCertificates.SelfSigned();
        var trust = ServerTrust.Pinned(SHA256.HashData(other.RawData));
        using var client = new ApiClient(api.BaseAddress, trust, "cst_good");
        var e = await Assert.ThrowsAsync<CliException>(() => client.SendAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, None));
        Assert.Equal(ExitCodes.Failure, e.ExitCode);
        Assert.Contains("securely", e.Message);
        Assert.Contains(CertificateFingerprint.Of(api.Certificate), e.Message);
        Assert.DoesNotContain("cst_good", e.Message);
    }

    [Fact]
    public async Task Self_signed_server_is_refused_by_system_trust_when_nobody_can_be_asked()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.System());
        var e = await Assert.ThrowsAsync<CliException>(() => client.SendAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, None));
        Assert.Contains("--fingerprint " + CertificateFingerprint.Of(api.Certificate), e.Message);
    }

    [Fact]
    public async Task Ca_file_holding_the_servers_certificate_is_trusted()
    {
        await using var api = await StartAsync();
        using var dir = new Custos.Testing.TempDirectory();
        var trust = ServerTrust.FromCaFile(TestCertificates.WritePem(dir.Combine("server.crt"), api.Certificate));
        using var client = new ApiClient(api.BaseAddress, trust, "cst_good");
        Assert.Equal("alice", (await client.SendAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, None)).User.Name);
    }

    [Fact]
    public async Task Problem_details_become_an_api_exception_with_type_and_retry_after()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.Pinned(SHA256.HashData(api.Certificate.RawData)));
        var mfa = await Assert.ThrowsAsync<ApiException>(() => client.SendAsync<LoginResponse>(HttpMethod.Post, "v1/auth/login", new LoginRequest("alice", "pw", null, null), None));
        Assert.True(mfa.Problem.Is(ApiProblem.MfaRequired));
        Assert.False(mfa.SessionRejected);
        var locked = await Assert.ThrowsAsync<ApiException>(() => client.SendAsync<LoginResponse>(HttpMethod.Post, "v1/auth/login", new LoginRequest("alice", "pw", "123456", null), None));
        Assert.Equal(429, locked.Problem.Status);
        Assert.Equal("alice is locked out (try again in 2 min)", locked.Message);
    }

    [Fact]
    public async Task Refused_bearer_token_is_reported_as_a_rejected_session()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.Pinned(SHA256.HashData(api.Certificate.RawData)), "cst_revoked");
        var e = await Assert.ThrowsAsync<ApiException>(() => client.SendAsync<WhoAmIResponse>(HttpMethod.Get, "v1/auth/whoami", null, None));
        Assert.True(e.SessionRejected);
        Assert.Equal("your session has expired or was revoked; run custos login", Custos.Cli.Identity.CommandContext.Describe(e)!.Value.Message);
    }

    [Fact]
    public async Task Step_up_challenge_runs_the_step_up_once_and_retries()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.Pinned(SHA256.HashData(api.Certificate.RawData)), "cst_good");
        var calls = 0;
        client.StepUp = async cancellationToken =>
        {
            calls++;
            await client.SendAsync<SessionDto>(HttpMethod.Post, "v1/auth/mfa/verify", new StepUpRequest("123456", null), cancellationToken);
            return true;
        };
        await client.SendAsync(HttpMethod.Delete, "v1/users/bob", null, None);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Step_up_challenge_without_a_handler_is_an_error()
    {
        await using var api = await StartAsync();
        using var client = new ApiClient(api.BaseAddress, ServerTrust.Pinned(SHA256.HashData(api.Certificate.RawData)), "cst_good");
        var e = await Assert.ThrowsAsync<ApiException>(() => client.SendAsync(HttpMethod.Delete, "v1/users/bob", null, None));
        Assert.True(e.Problem.Is(ApiProblem.MfaStepUpRequired));
    }

    [Fact]
    public async Task Unreachable_server_is_an_io_error()
    {
        using var client = new ApiClient(new Uri($"https://127.0.0.1:{Custos.Testing.FreePort.Next()}/"), ServerTrust.System());
        var e = await Assert.ThrowsAsync<CliException>(() => client.SendAsync(HttpMethod.Post, "v1/auth/logout", null, None));
        Assert.Equal(ExitCodes.IoError, e.ExitCode);
    }
}
