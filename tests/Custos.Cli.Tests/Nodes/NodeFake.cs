using System.CommandLine;
using System.Text.Json.Nodes;
using Custos.Cli.Client;
using Custos.Cli.Tests.Client;
using Custos.Server.Api.Certificates;
using Custos.Ssh.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Custos.Cli.Tests.Nodes;

/// <summary>
/// A stand-in for the node endpoints on real TLS that checks the node's proofs as the server must: the join signature
/// over <see cref="NodeProof.JoinMessage"/> with the key sent, then each sync signature with the enrolled key. What it
/// answers (CA keys, KRL, renewal, a refusal) is set by the test.
/// </summary>
public sealed class NodeFake : IAsyncDisposable
{
    public const string JoinToken = "cjt_JOINJOINJOINJOINJOINJOINJOINJOINJOIN";
    public const string SessionToken = "cst_ADMINADMINADMINADMINADMINADMINADMINADMIN";

    private FakeApi _api = null!;
    private int _challenges;

    public string Node { get; set; } = "web-1";

    public string UserCaKeys { get; set; } = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld custos-user-ca\n";

    public byte[] Krl { get; set; } = "SSHKRL\n\0fake"u8.ToArray();

    public string HostCertificate { get; set; } = "ssh-ed25519-cert-v01@openssh.com AAAAcert1 web-1";

    public bool Renewed { get; set; } = true;

    /// <summary>When set, sync answers 403 with this detail.</summary>
    public string? RefuseSync { get; set; }

    public SshPublicKey? Enrolled { get; private set; }

    public List<(string Path, JsonObject Body)> Requests { get; } = [];

    public Uri BaseAddress => _api.BaseAddress;

    public string Fingerprint => CertificateFingerprint.Of(_api.Certificate);

    /// <summary>The server's certificate as a PEM file, for --ca-file.</summary>
    public string WriteCaFile(string path)
    {
        File.WriteAllText(path, _api.Certificate.ExportCertificatePem());
        return path;
    }

    public static async Task<NodeFake> StartAsync(Action<WebApplication>? more = null)
    {
        var fake = new NodeFake();
        fake._api = await FakeApi.StartAsync(app =>
        {
            app.MapPost("/v1/nodes/challenge", () =>
                Results.Text($$"""{"challenge":"ch-{{Interlocked.Increment(ref fake._challenges)}}","expires_at":"2030-01-01T00:01:00Z"}""", "application/json"));
            app.MapPost("/v1/nodes/join", fake.JoinAsync);
            app.MapPost("/v1/nodes/{name}/sync", fake.SyncAsync);
            more?.Invoke(app);
        });
        return fake;
    }

    private async Task JoinAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        var key = SshPublicKey.ParseText((string)body["host_public_key"]!);
        var message = NodeProof.JoinMessage((string)body["challenge"]!, (string)body["token"]!, (string)body["host_public_key"]!);
        if ((string?)body["token"] != JoinToken)
        {
            await FakeApi.Problem(context, 403, "join-token-invalid", "the join token is unknown, used or expired");
            return;
        }
        if (!key.Verify(message, Convert.FromBase64String((string)body["signature"]!)))
        {
            await FakeApi.Problem(context, 403, "node-proof-invalid", "the signature does not verify with the host key");
            return;
        }
        Enrolled = key;
        await BundleAsync(context, renewed: true);
    }

    private async Task SyncAsync(HttpContext context, string name)
    {
        var body = await ReadAsync(context);
        var message = NodeProof.SyncMessage((string)body["challenge"]!, name);
        if (Enrolled is null || !Enrolled.Verify(message, Convert.FromBase64String((string)body["signature"]!)))
        {
            await FakeApi.Problem(context, 403, "node-proof-invalid", "the signature does not verify with the enrolled host key");
            return;
        }
        if (RefuseSync is { } detail)
        {
            await FakeApi.Problem(context, 403, "node-not-enrolled", detail);
            return;
        }
        await BundleAsync(context, Renewed);
    }

    private async Task<JsonObject> ReadAsync(HttpContext context)
    {
        var body = (await context.Request.ReadFromJsonAsync<JsonObject>())!;
        lock (Requests) Requests.Add((context.Request.Path.Value!, body));
        return body;
    }

    private Task BundleAsync(HttpContext context, bool renewed)
    {
        var bundle = new JsonObject
        {
            ["node"] = Node,
            ["host_certificate"] = HostCertificate,
            ["host_certificate_renewed"] = renewed,
            ["host_certificate_serial"] = "77",
            ["host_certificate_valid_before"] = "2030-02-01T00:00:00Z",
            ["host_principals"] = new JsonArray(Node, "10.0.0.5"),
            ["user_ca_keys"] = UserCaKeys,
            ["krl"] = Convert.ToBase64String(Krl),
            ["krl_etag"] = "\"krl-" + Krl.Length + "\"",
            ["sync_interval"] = "5m",
        };
        return Results.Text(bundle.ToJsonString(), "application/json").ExecuteAsync(context);
    }

    /// <summary>Runs the custos command line as the executable does (usage errors exit 2), with $CUSTOS_HOME set.</summary>
    public static async Task<(int Exit, string Out, string Error)> RunAsync(string home, params string[] args)
    {
        var savedHome = Environment.GetEnvironmentVariable(CustosHome.EnvironmentVariable);
        var (output, error) = (new StringWriter(), new StringWriter());
        try
        {
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, home);
            var parse = CustosCommandLine.CreateRoot().Parse(args);
            if (parse.Errors.Count > 0) return (ExitCodes.Usage, "", string.Join("\n", parse.Errors.Select(e => e.Message)));
            var exit = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, savedHome);
        }
    }

    /// <summary>A $CUSTOS_HOME logged in to this server as an administrator (profile pinned to its certificate).</summary>
    public string LoggedInHome(string path)
    {
        var home = new CustosHome(path);
        home.SaveProfile(new Profile(ConnectionSettings.Display(BaseAddress), null, Fingerprint, "admin"));
        home.SaveToken(SessionToken);
        return path;
    }

    public ValueTask DisposeAsync() => _api.DisposeAsync();
}
