using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Custos.Cli.Tests.Client;

/// <summary>
/// A real HTTPS listener on loopback (Kestrel, an ephemeral port) answering with canned handlers, so the client's TLS
/// verification and wire handling are tested as they run, without the identity server.
/// </summary>
public sealed class FakeApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeApi(WebApplication app, Uri baseAddress, X509Certificate2 certificate)
    {
        _app = app;
        BaseAddress = baseAddress;
        Certificate = certificate;
    }

    public Uri BaseAddress { get; }

    public X509Certificate2 Certificate { get; }

    public static async Task<FakeApi> StartAsync(Action<WebApplication> routes)
    {
        var certificate = TestCertificates.SelfSigned();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        routes(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeApi(app, new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/"), certificate);
    }

    public static Task Problem(HttpContext context, int status, string type, string detail) =>
        Results.Problem(detail: detail, statusCode: status, type: "urn:custos:problem:" + type, title: type).ExecuteAsync(context);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
