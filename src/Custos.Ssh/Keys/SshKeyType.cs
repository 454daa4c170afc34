namespace Custos.Ssh.Keys;

/// <summary>The key types Custos reads, writes and verifies. DSA and every other type is refused.</summary>
public enum SshKeyType
{
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Rsa,

    /// <summary>FIDO security key, Ed25519 (<c>sk-ssh-ed25519@openssh.com</c>); public key only.</summary>
    SecurityKeyEd25519,

    /// <summary>FIDO security key, ECDSA P-256 (<c>sk-ecdsa-sha2-nistp256@openssh.com</c>); public key only.</summary>
    SecurityKeyEcdsaP256,
}

/// <summary>The wire names of key and signature algorithms (RFC 4253 §6.6, RFC 5656, RFC 8332, RFC 8709, PROTOCOL.u2f).</summary>
public static class SshAlgorithmNames
{
    public const string Ed25519 = "ssh-ed25519";
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";
    public const string EcdsaP384 = "ecdsa-sha2-nistp384";
    public const string EcdsaP521 = "ecdsa-sha2-nistp521";

    /// <summary>The RSA key type. As a signature algorithm (SHA-1) it is refused.</summary>
    public const string Rsa = "ssh-rsa";
    public const string RsaSha256 = "rsa-sha2-256";
    public const string RsaSha512 = "rsa-sha2-512";
    public const string SecurityKeyEd25519 = "sk-ssh-ed25519@openssh.com";
    public const string SecurityKeyEcdsaP256 = "sk-ecdsa-sha2-nistp256@openssh.com";
    public const string Dsa = "ssh-dss";

    /// <summary>The suffix OpenSSH appends to a key type to name its certificate type (PROTOCOL.certkeys).</summary>
    public const string CertificateSuffix = "-cert-v01@openssh.com";

    /// <summary>The key type name for a <see cref="SshKeyType"/>.</summary>
    public static string ForKeyType(SshKeyType type) => type switch
    {
        SshKeyType.Ed25519 => Ed25519,
        SshKeyType.EcdsaP256 => EcdsaP256,
        SshKeyType.EcdsaP384 => EcdsaP384,
        SshKeyType.EcdsaP521 => EcdsaP521,
        SshKeyType.Rsa => Rsa,
        SshKeyType.SecurityKeyEd25519 => SecurityKeyEd25519,
        SshKeyType.SecurityKeyEcdsaP256 => SecurityKeyEcdsaP256,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown key type."),
    };

    /// <summary>
    /// The certificate type name for a key type, e.g. <c>ssh-ed25519-cert-v01@openssh.com</c>; for the
    /// security-key types the marker goes before the domain (<c>sk-ssh-ed25519-cert-v01@openssh.com</c>).
    /// </summary>
    public static string CertificateFor(string keyAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(keyAlgorithm);
        const string Domain = "@openssh.com";
        return keyAlgorithm.EndsWith(Domain, StringComparison.Ordinal)
            ? keyAlgorithm[..^Domain.Length] + CertificateSuffix
            : keyAlgorithm + CertificateSuffix;
    }

    /// <summary>The plain key type a certificate type certifies (the inverse of <see cref="CertificateFor"/>).</summary>
    public static string PlainKeyFor(string certificateType)
    {
        ArgumentNullException.ThrowIfNull(certificateType);
        if (!IsCertificate(certificateType))
        {
            return certificateType;
        }

        string stem = certificateType[..^CertificateSuffix.Length];
        return stem.StartsWith("sk-", StringComparison.Ordinal) ? stem + "@openssh.com" : stem;
    }

    public static bool IsCertificate(string type) => type?.EndsWith(CertificateSuffix, StringComparison.Ordinal) == true;

    /// <summary>The precise reason a key type name is not supported.</summary>
    internal static string RefusalReason(string name)
    {
        if (name == Dsa || name == "ssh-dss-cert-v01@openssh.com")
        {
            return $"Key type '{name}' (DSA) is refused: DSA is limited to 1024-bit keys and SHA-1, and OpenSSH itself no longer supports it.";
        }

        if (name.StartsWith("ssh-rsa-cert-v00", StringComparison.Ordinal) || name.Contains("-cert-v00@", StringComparison.Ordinal))
        {
            return $"Key type '{name}' is refused: legacy v00 certificates are not supported.";
        }

        string shown = name.Length > 64 ? name[..64] + "…" : name;
        return $"Key type '{shown}' is not supported (supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com and their -cert-v01@openssh.com certificates).";
    }
}
