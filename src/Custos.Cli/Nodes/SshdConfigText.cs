namespace Custos.Cli.Nodes;

/// <summary>
/// The <c>sshd_config</c> lines that point sshd at the files Custos manages on a node: printed by
/// <c>custos node join</c> (with the paths it wrote) and by <c>custos admin resources sshd-config</c> (with the
/// defaults, for preparing a node's configuration before it joins).
/// </summary>
public static class SshdConfigText
{
    /// <summary>
    /// The lines for <paramref name="node"/>. <paramref name="hostPublicKey"/> is the host public key file; the host
    /// certificate is <paramref name="hostCertificate"/>, or <c>HOSTKEY-cert.pub</c> beside the key.
    /// </summary>
    public static string Build(string node, string directory, string hostPublicKey, string? hostCertificate = null)
    {
        var layout = new NodeLayout(directory);
        var hostKey = NodeLayout.PrivateKeyPath(hostPublicKey);
        return $"""
            # Custos manages these files for node {node} (custos node join / custos node sync)
            TrustedUserCAKeys {Value(layout.UserCaFile)}
            AuthorizedPrincipalsFile {Value(Path.Combine(layout.PrincipalsDirectory, "%u"))}
            RevokedKeys {Value(layout.KrlFile)}
            HostKey {Value(hostKey)}
            HostCertificate {Value(hostCertificate ?? NodeLayout.HostCertificatePath(hostPublicKey, null))}

            """;
    }

    // sshd_config splits arguments on white space; a path holding some must be quoted.
    private static string Value(string path) => path.Any(char.IsWhiteSpace) ? "\"" + path + "\"" : path;
}
