using Custos.Ssh.Keys;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Authentication;

/// <summary>RFC 4252 §7 publickey signature data and algorithm rules shared by both roles.</summary>
internal static class PublicKeyAuthentication
{
    public const string CertificateSuffix = "-cert-v01@openssh.com";

    /// <summary>string session_id, byte 50, string user, string service, string "publickey", TRUE, string algorithm, string key.</summary>
    public static byte[] SignedData(ReadOnlySpan<byte> sessionId, string user, string service, string algorithm, ReadOnlySpan<byte> keyBlob)
    {
        var writer = new SshWriter();
        writer.WriteString(sessionId);
        writer.WriteByte(Transport.MessageNumber.UserAuthRequest);
        writer.WriteUtf8String(user);
        writer.WriteUtf8String(service);
        writer.WriteUtf8String("publickey");
        writer.WriteBoolean(true);
        writer.WriteUtf8String(algorithm);
        writer.WriteString(keyBlob);
        return writer.ToArray();
    }

    /// <summary>The signature algorithm behind a (possibly certificate) public key algorithm name.</summary>
    public static string SignatureAlgorithm(string algorithm) =>
        algorithm.EndsWith(CertificateSuffix, StringComparison.Ordinal) ? algorithm[..^CertificateSuffix.Length] : algorithm;

    /// <summary>Whether <paramref name="algorithm"/> is acceptable for <paramref name="key"/>; plain ssh-rsa (SHA-1) never is (RFC 8332).</summary>
    public static bool IsAcceptable(string algorithm, SshPublicKey key)
    {
        var signature = SignatureAlgorithm(algorithm);
        var isCertificate = algorithm.EndsWith(CertificateSuffix, StringComparison.Ordinal);
        return signature != "ssh-rsa"
            && isCertificate == (key is Certificates.SshCertificate)
            && key.SignatureAlgorithms.Contains(signature);
    }
}
