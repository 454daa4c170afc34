using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Custos.Server.Hosting;

/// <summary>The API's TLS certificate: given (tls.cert/tls.key) or self-signed on first start.</summary>
public static class TlsCertificates
{
    /// <summary>Loads the configured pair, or DIR/tls/server.{crt,key}, generating them when absent.</summary>
    public static X509Certificate2 LoadOrCreate(DataDirectory dir, string? certFile, string? keyFile, IEnumerable<string> extraSans, TimeProvider time, out bool created)
    {
        created = false;
        if (certFile is not null && keyFile is not null)
            return Load(certFile, keyFile);
        if (File.Exists(dir.TlsCertificateFile) && File.Exists(dir.TlsKeyFile))
            return Load(dir.TlsCertificateFile, dir.TlsKeyFile);
        CreateSelfSigned(dir.TlsCertificateFile, dir.TlsKeyFile, extraSans, time);
        created = true;
        return Load(dir.TlsCertificateFile, dir.TlsKeyFile);
    }

    private static X509Certificate2 Load(string certFile, string keyFile)
    {
        if (!File.Exists(certFile)) throw new InvalidOperationException($"tls.cert: {certFile} does not exist");
        if (!File.Exists(keyFile)) throw new InvalidOperationException($"tls.key: {keyFile} does not exist");
        DataDirectory.CheckPrivate(keyFile);
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // Kestrel on Linux needs the key in an exportable, non-ephemeral form.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"tls: cannot load {certFile} with {keyFile}: {e.Message}", e);
        }
    }

    public static void CreateSelfSigned(string certFile, string keyFile, IEnumerable<string> extraSans, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var hostName = Dns.GetHostName();
        var request = new CertificateRequest($"CN=Custos API ({hostName})", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "::1", hostName };
        foreach (var san in extraSans) names.Add(san);
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip)) sans.AddIpAddress(ip);
            else sans.AddDnsName(name);
        }
        request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));
        DataDirectory.WriteSecretFile(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        // Written atomically too: a client pinning the file never reads half a certificate.
        var temp = certFile + ".tmp";
        File.WriteAllText(temp, certificate.ExportCertificatePem() + "\n");
        File.Move(temp, certFile, overwrite: true);
    }
}
