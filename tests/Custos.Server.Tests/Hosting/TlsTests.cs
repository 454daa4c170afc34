using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Hosting;

/// <summary>The API's TLS certificate: generated with the configured SANs, or the operator's own pair.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TempDirectory _root = new("custos-tls");

    public void Dispose() => _root.Dispose();

    /// <summary>The certificate the server presents in the TLS handshake.</summary>
    private static async Task<X509Certificate2> PresentedCertificateAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        // Record whatever is presented: this probe only looks at the certificate, it sends nothing.
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return presented is not null;
        });
        await tls.AuthenticateAsClientAsync("localhost");
        return presented!;
    }

    /// <summary>An operator's own certificate (PEM, 0644) and key (PEM, <paramref name="keyMode"/>).</summary>
    private (string Cert, string Key, X509Certificate2 Certificate) OwnCertificate(UnixFileMode keyMode)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=custos.example.com", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName("custos.example.com");
        sans.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(sans.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        var cert = _root.Combine("own.crt");
        var keyFile = _root.Combine("own.key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyFile, keyMode);
        return (cert, keyFile, X509CertificateLoader.LoadCertificate(certificate.RawData));
    }

    [Fact]
    public async Task Operators_certificate_and_key_are_served_and_nothing_is_generated()
    {
        var (cert, key, expected) = OwnCertificate(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var dataDir = _root.Combine("own");

        await using var server = ServerProcess.Start(dataDir, ["--tls-cert", cert, "--tls-key", key], certificateFile: cert);
        await server.WaitReadyAsync();

        var presented = await PresentedCertificateAsync(server.Port);
        Assert.Equal(expected.RawData, presented.RawData);
        Assert.False(File.Exists(Path.Combine(dataDir, "tls", "server.crt")), "a certificate was generated although one was given");
        Assert.False(File.Exists(Path.Combine(dataDir, "tls", "server.key")), "a key was generated although one was given");
    }

    [Fact]
    public async Task Operators_key_readable_by_others_is_refused()
    {
        var (cert, key, _) = OwnCertificate(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await CustosCli.RunAsync("serve", "--data-dir", _root.Combine("loose"), "--listen", $"127.0.0.1:{FreePort.Next()}", "--tls-cert", cert, "--tls-key", key);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(key, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("chmod 600", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generated_certificate_carries_the_extra_sans_and_is_the_one_served()
    {
        var dataDir = _root.Combine("sans");

        await using var server = await ServerProcess.StartReadyAsync(dataDir, ["--tls-san", "custos.example.com", "--tls-san", "10.9.8.7"]);

        var generated = X509CertificateLoader.LoadCertificateFromFile(server.CertificateFile);
        var sans = generated.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Superset(new HashSet<string> { "localhost", Dns.GetHostName(), "custos.example.com" }, sans.EnumerateDnsNames().ToHashSet());
        Assert.Superset(new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("10.9.8.7") }, sans.EnumerateIPAddresses().ToHashSet());
        Assert.Equal(generated.RawData, (await PresentedCertificateAsync(server.Port)).RawData);
    }
}
