using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Custos.Cli.Client;
using Custos.Cli.Tests.Client;
using Custos.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Identity;

/// <summary>
/// <c>custos login</c>, <c>status</c> and <c>logout</c> run as the executable runs them, against a stand-in API on
/// real TLS, with CUSTOS_HOME and standard input redirected (so these tests run one at a time).
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class LoginFlowTests
{
    private const string Token = "cst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private const string Password = "correct horse battery staple";

    private static Task<FakeApi> StartAsync(List<string> calls) => FakeApi.StartAsync(app =>
    {
        const string user = """{"id":"u1","name":"alice","kind":"user","status":"active","roles":["dev","ops"],"traits":{},"created_at":"2030-01-01T00:00:00Z","revision":1,"mfa_enrolled":true,"webauthn_credentials":0}""";
        const string session = """{"id":"s1","user_id":"u1","user":"alice","kind":"user","created_at":"2030-01-01T00:00:00Z","expires_at":"2030-01-01T08:00:00Z","current":true}""";
        app.MapPost("/v1/auth/login", async (HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<JsonObject>();
            calls.Add("login " + (string?)body?["otp"]);
            if ((string?)body?["password"] != Password) await FakeApi.Problem(context, 401, "login-failed", "wrong user name or password");
            else if (body?["otp"] is null) await FakeApi.Problem(context, 401, "mfa-required", "a one-time code is required");
            else await Results.Text($$"""{"token":"{{Token}}","session":{{session}},"user":{{user}}}""", "application/json").ExecuteAsync(context);
        });
        app.MapGet("/v1/auth/whoami", (HttpContext context) => context.Request.Headers.Authorization == "Bearer " + Token
            ? Results.Text($$"""{"user":{{user}},"session":{{session}}}""", "application/json")
            : Results.Problem(statusCode: 401, detail: "not valid"));
        app.MapPost("/v1/auth/logout", () => { calls.Add("logout"); return Results.NoContent(); });
    });

    private static async Task<(int Exit, string Out, string Error)> RunAsync(string home, string stdin, params string[] args)
    {
        var (savedIn, savedHome) = (Console.In, Environment.GetEnvironmentVariable(CustosHome.EnvironmentVariable));
        var (output, error) = (new StringWriter(), new StringWriter());
        try
        {
            Console.SetIn(new StringReader(stdin));
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, home);
            var exit = await CustosCommandLine.CreateRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetIn(savedIn);
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, savedHome);
        }
    }

    [Fact]
    public async Task Login_with_a_pinned_server_saves_profile_and_token_then_status_and_logout_use_them()
    {
        var calls = new List<string>();
        await using var api = await StartAsync(calls);
        using var temp = new TempDirectory();
        var home = temp.Combine("home");
        var fingerprint = CertificateFingerprint.Of(api.Certificate);
        var server = api.BaseAddress.GetLeftPart(UriPartial.Authority);

        var login = await RunAsync(home, Password + "\n", "login", "--server", server, "--fingerprint", fingerprint, "--user", "alice", "--password-stdin", "--otp", "123456");
        Assert.True(login.Exit == 0, login.Error);
        Assert.Contains("Logged in to " + server + " as alice", login.Out);
        Assert.DoesNotContain(Token, login.Out + login.Error);
        Assert.DoesNotContain(Password, login.Out + login.Error);
        Assert.Equal(Token, File.ReadAllText(Path.Combine(home, "token")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(home, "token")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home));
        Assert.Equal(new Profile(server, null, fingerprint, "alice"), new CustosHome(home).LoadProfile());

        var status = await RunAsync(home, "", "status");
        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("dev, ops", status.Out);
        Assert.Contains("2030-01-01T08:00:00Z", status.Out);
        var json = await RunAsync(home, "", "status", "-o", "json");
        Assert.Equal("alice", JsonNode.Parse(json.Out)!["user"]!["name"]!.GetValue<string>());

        var logout = await RunAsync(home, "", "logout");
        Assert.Equal(0, logout.Exit);
        Assert.Contains("logout", calls);
        Assert.False(File.Exists(Path.Combine(home, "token")));
    }

    [Fact]
    public async Task Login_without_a_code_and_without_a_terminal_says_to_pass_otp()
    {
        var calls = new List<string>();
        await using var api = await StartAsync(calls);
        using var temp = new TempDirectory();
        var result = await RunAsync(temp.Path, Password + "\n", "login", "--server", api.BaseAddress.ToString(), "--fingerprint", CertificateFingerprint.Of(api.Certificate),
            "--user", "alice", "--password-stdin");
        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains("--otp", result.Error);
        Assert.False(File.Exists(Path.Combine(temp.Path, "token")));
    }

    [Fact]
    public async Task Wrong_password_prints_the_problem_detail_and_exits_1()
    {
        await using var api = await StartAsync([]);
        using var temp = new TempDirectory();
        var result = await RunAsync(temp.Path, "wrong\n", "login", "--server", api.BaseAddress.ToString(), "--fingerprint", CertificateFingerprint.Of(api.Certificate),
            "--user", "alice", "--password-stdin", "--otp", "1");
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Equal("custos login: wrong user name or password\n", result.Error);
    }

    [Fact]
    public async Task Untrusted_server_without_a_terminal_is_refused_and_nothing_is_saved()
    {
        await using var api = await StartAsync([]);
        using var temp = new TempDirectory();
        var result = await RunAsync(temp.Path, Password + "\n", "login", "--server", api.BaseAddress.ToString(), "--user", "alice", "--password-stdin", "--otp", "1");
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains(CertificateFingerprint.Of(api.Certificate), result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task Logout_with_an_unreachable_server_still_deletes_the_token_and_says_so()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Path);
        home.SaveProfile(new Profile($"https://127.0.0.1:{FreePort.Next()}", null, CertificateFingerprint.Format(SHA256.HashData([1])), "alice"));
        home.SaveToken(Token);
        var result = await RunAsync(temp.Path, "", "logout");
        Assert.Equal(ExitCodes.Failure, result.Exit);
        Assert.Contains("the local token is deleted", result.Error);
        Assert.Null(home.LoadToken());
    }
}
