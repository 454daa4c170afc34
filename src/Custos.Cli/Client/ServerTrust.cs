using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Custos.Cli.Client;

/// <summary>
/// How the client decides to trust the server's TLS certificate: the system's roots, a CA (or the self-signed
/// certificate itself) from <c>--ca-file</c>, a pinned SHA-256 fingerprint, or, when none was given and the system
/// does not trust the certificate, the user's explicit answer on a terminal. Nothing is ever trusted silently.
/// </summary>
public sealed class ServerTrust
{
    private readonly X509Certificate2Collection? _anchors;
    private byte[]? _pin;
    private readonly Func<X509Certificate2, bool>? _ask;
    private readonly Lock _gate = new();

    private ServerTrust(X509Certificate2Collection? anchors, byte[]? pin, Func<X509Certificate2, bool>? ask, string? caFile)
    {
        _anchors = anchors;
        _pin = pin;
        _ask = ask;
        CaFile = caFile;
    }

    /// <summary>The absolute path of the CA file this trust came from, if any.</summary>
    public string? CaFile { get; }

    /// <summary>The pinned fingerprint: given, or accepted by the user during this run.</summary>
    public string? Fingerprint => _pin is null ? null : CertificateFingerprint.Format(_pin);

    /// <summary>True when the user accepted an unknown certificate during this run (worth remembering in the profile).</summary>
    public bool AcceptedInteractively { get; private set; }

    /// <summary>Why the last certificate was refused (with its fingerprint), for the error message.</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>Trust what the operating system trusts; <paramref name="ask"/> (when given) may accept anything else.</summary>
    public static ServerTrust System(Func<X509Certificate2, bool>? ask = null) => new(null, null, ask, null);

    public static ServerTrust Pinned(byte[] sha256) =>
        sha256.Length == SHA256.HashSizeInBytes ? new(null, (byte[])sha256.Clone(), null, null) : throw new ArgumentException("a SHA-256 hash is 32 bytes", nameof(sha256));

    /// <summary>
    /// Trust exactly the certificates in <paramref name="path"/> (PEM, one or more, or one DER certificate): the server's
    /// certificate must be one of them or chain to one of them as the only root.
    /// </summary>
    public static ServerTrust FromCaFile(string path)
    {
        var full = Path.GetFullPath(path);
        X509Certificate2Collection anchors;
        try
        {
            anchors = LoadCertificates(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"--ca-file: cannot read {path}: {e.Message}");
        }
        catch (CryptographicException e)
        {
            throw CliException.Usage($"--ca-file: {path} does not hold a certificate ({e.Message})");
        }
        if (anchors.Count == 0) throw CliException.Usage($"--ca-file: {path} holds no certificate");
        return new(anchors, null, null, full);
    }

    private static X509Certificate2Collection LoadCertificates(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var collection = new X509Certificate2Collection();
        var text = global::System.Text.Encoding.ASCII.GetString(bytes);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            collection.ImportFromPem(text);
            return collection;
        }
        collection.Add(X509CertificateLoader.LoadCertificate(bytes));
        return collection;
    }

    /// <summary>The <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> body.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            LastRefusal = "the server presented no certificate";
            return false;
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var fingerprint = CertificateFingerprint.Of(leaf);
        lock (_gate)
        {
            if (_pin is not null)
            {
                if (CryptographicOperations.FixedTimeEquals(SHA256.HashData(leaf.RawData), _pin)) return true;
                LastRefusal = $"the server's certificate ({fingerprint}) does not match the pinned fingerprint {Fingerprint}";
                return false;
            }
            if (_anchors is not null)
            {
                if (ChainsToAnchors(leaf, chain, errors)) return true;
                LastRefusal = $"the server's certificate ({fingerprint}) is not issued by the certificate in {CaFile}" +
                    ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 ? " for this host name" : "");
                return false;
            }
            if (errors == SslPolicyErrors.None) return true;
            if (_ask is not null && _ask(leaf))
            {
                _pin = SHA256.HashData(leaf.RawData);
                AcceptedInteractively = true;
                return true;
            }
            LastRefusal = $"the server's certificate ({fingerprint}) is not trusted by this system ({errors}); " +
                $"check the fingerprint with the server's administrator and pass --fingerprint {fingerprint}, or --ca-file FILE";
            return false;
        }
    }

    private bool ChainsToAnchors(X509Certificate2 leaf, X509Chain? presented, SslPolicyErrors errors)
    {
        // The server's own (self-signed) certificate in the file: equality is the whole check.
        foreach (var anchor in _anchors!)
            if (anchor.RawData.AsSpan().SequenceEqual(leaf.RawData)) return true;
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.RawData.AsSpan().SequenceEqual(leaf.RawData)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(leaf);
    }
}
