using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Custos.Cli.Client;

/// <summary>
/// <c>--server</c>, <c>--ca-file</c> and <c>--fingerprint</c>, on every command that talks to the server. Flags
/// override the profile; the profile's trust settings apply only to the profile's server.
/// </summary>
public sealed class ConnectionOptions
{
    public Option<string?> Server { get; } = new("--server")
    {
        Description = "The Custos server's URL (https://HOST:PORT). Defaults to the profile's (custos login remembers it).",
    };

    public Option<string?> CaFile { get; } = new("--ca-file")
    {
        Description = "Trust exactly this CA certificate, or the server's own self-signed certificate (PEM or DER).",
    };

    public Option<string?> Fingerprint { get; } = new("--fingerprint")
    {
        Description = "Trust the server certificate with this fingerprint: SHA256:BASE64 (SHA-256 of its DER, unpadded).",
    };

    public ConnectionOptions()
    {
        Server.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && ParseServerUrl(text, out var error) is null) result.AddError("--server: " + error);
        });
        Fingerprint.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !CertificateFingerprint.TryParse(text, out _, out var error))
                result.AddError("--fingerprint: " + error);
        });
    }

    /// <summary>Adds the three options to <paramref name="command"/>, refusing --ca-file and --fingerprint together.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(CaFile);
        command.Options.Add(Fingerprint);
        command.Validators.Add(result =>
        {
            if (result.GetResult(CaFile) is not null && result.GetResult(Fingerprint) is not null)
                result.AddError("give --ca-file or --fingerprint, not both");
        });
    }

    /// <summary>The server and its trust: flags first, then the profile (only for the profile's own server).</summary>
    public ConnectionSettings Resolve(ParseResult parse, Profile? profile, bool serverRequired = true)
    {
        var serverText = parse.GetValue(Server);
        var caFile = parse.GetValue(CaFile);
        var fingerprint = parse.GetValue(Fingerprint);
        if (serverText is null)
        {
            serverText = profile?.Server ?? (serverRequired
                ? throw CliException.Usage("no server: pass --server https://HOST:PORT (custos login remembers it)")
                : null);
        }
        if (serverText is null) throw CliException.Usage("no server: pass --server https://HOST:PORT");
        var server = ParseServerUrl(serverText, out var error) ?? throw CliException.Usage("--server: " + error);
        var sameServer = profile?.Server is { } saved && ParseServerUrl(saved, out _) is { } savedUri && savedUri == server;
        if (caFile is null && fingerprint is null && sameServer)
        {
            caFile = profile!.CaFile;
            fingerprint = profile.Fingerprint;
        }
        if (caFile is not null) fingerprint = null;
        return new ConnectionSettings(server, caFile is null ? null : Path.GetFullPath(caFile),
            fingerprint is null ? null : CertificateFingerprint.Normalize(fingerprint));
    }

    /// <summary>An absolute https URL, normalised to end in '/' so API paths resolve under it.</summary>
    public static Uri? ParseServerUrl(string text, out string error)
    {
        error = "";
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            error = $"\"{text}\" is not a URL such as https://custos.example.com:8443";
            return null;
        }
        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"\"{text}\" is not https: Custos is reached over TLS only";
            return null;
        }
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = $"\"{text}\" has a query or fragment";
            return null;
        }
        var builder = new UriBuilder(uri);
        if (!builder.Path.EndsWith('/')) builder.Path += "/";
        return builder.Uri;
    }
}

/// <summary>A resolved server and how to trust it.</summary>
public sealed record ConnectionSettings(Uri Server, string? CaFile, string? Fingerprint)
{
    /// <summary>The URL as shown and saved (without the trailing '/' of a bare host).</summary>
    public string ServerText => Display(Server);

    public static string Display(Uri server) => server.AbsolutePath == "/" ? server.GetLeftPart(UriPartial.Authority) : server.ToString();

    /// <summary>The trust these settings describe; with neither a CA file nor a pin, the user may accept on a terminal.</summary>
    public ServerTrust CreateTrust()
    {
        if (CaFile is not null) return ServerTrust.FromCaFile(CaFile);
        if (Fingerprint is not null && CertificateFingerprint.TryParse(Fingerprint, out var pin, out _)) return ServerTrust.Pinned(pin);
        return ServerTrust.System(AskToTrust);
    }

    /// <summary>The profile that remembers this server, its trust (including a pin accepted just now) and the user.</summary>
    public Profile ToProfile(Profile? existing, ServerTrust trust, string? user) =>
        new(ServerText, CaFile, CaFile is null ? trust.Fingerprint ?? Fingerprint : null, user ?? existing?.User, existing?.Name ?? Profile.DefaultName);

    private static bool AskToTrust(X509Certificate2 certificate)
    {
        if (!Prompts.IsInteractive) return false;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            The server's certificate is not trusted by this system.
              subject:     {certificate.Subject}
              issuer:      {certificate.Issuer}
              valid:       {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}
              fingerprint: {CertificateFingerprint.Of(certificate)}
            Compare the fingerprint with the one the server's administrator gives you.
            """));
        return Prompts.Confirm("Trust this certificate?", "pass --ca-file FILE or --fingerprint SHA256:...");
    }
}
