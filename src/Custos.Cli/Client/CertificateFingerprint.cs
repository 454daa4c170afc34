using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Custos.Cli.Client;

/// <summary>
/// A certificate fingerprint as OpenSSH shows keys: <c>SHA256:</c> and the unpadded base64 of SHA-256 over the
/// certificate's DER encoding.
/// </summary>
public static class CertificateFingerprint
{
    public const string Prefix = "SHA256:";

    public static string Of(X509Certificate2 certificate) => Format(SHA256.HashData(certificate.RawData));

    public static string Format(ReadOnlySpan<byte> sha256) => Prefix + Convert.ToBase64String(sha256).TrimEnd('=');

    /// <summary>
    /// Parses <c>SHA256:BASE64</c> (the prefix in any case, padding optional) into the 32-byte hash; the error names
    /// what is wrong.
    /// </summary>
    public static bool TryParse(string text, out byte[] sha256, out string error)
    {
        sha256 = [];
        error = "";
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = $"\"{text}\" is not a fingerprint: expected SHA256:BASE64";
            return false;
        }
        var body = trimmed[Prefix.Length..].TrimEnd('=');
        if (body.Length != 43)
        {
            error = $"\"{text}\" is not a SHA-256 fingerprint: expected 43 base64 characters after SHA256:";
            return false;
        }
        try
        {
            sha256 = Convert.FromBase64String(body + "=");
        }
        catch (FormatException)
        {
            error = $"\"{text}\" is not a fingerprint: the part after SHA256: is not base64";
            return false;
        }
        return true;
    }

    /// <summary>The canonical text of a parsed fingerprint (so profiles hold one spelling).</summary>
    public static string Normalize(string text) =>
        TryParse(text, out var hash, out var error) ? Format(hash) : throw CliException.Usage("--fingerprint: " + error);
}
