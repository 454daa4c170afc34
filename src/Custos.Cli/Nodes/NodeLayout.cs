namespace Custos.Cli.Nodes;

/// <summary>
/// Where a node's Custos-managed files are. The managed directory (default <c>/etc/ssh/custos</c>, 0755) holds:
/// <list type="bullet">
/// <item><c>user_ca.pub</c> (0644): the user CA key lines, for sshd's <c>TrustedUserCAKeys</c>;</item>
/// <item><c>revoked.krl</c> (0644): the user CA's key revocation list, for <c>RevokedKeys</c>;</item>
/// <item><c>principals/LOGIN</c> (0644, directory 0755): <c>LOGIN@NODE</c>, for <c>AuthorizedPrincipalsFile DIR/principals/%u</c>;</item>
/// <item><c>server-ca.crt</c> (0644): the Custos server's TLS CA, pinned by <c>custos node sync</c>;</item>
/// <item><c>node.json</c> (0600): what sync needs (<see cref="NodeState"/>).</item>
/// </list>
/// The host certificate is <c>HOSTKEY-cert.pub</c> beside the host key (<c>HOSTKEY</c> = the public key path less
/// <c>.pub</c>), as sshd's own naming has it, unless join was told to write it elsewhere.
/// </summary>
public sealed class NodeLayout(string directory)
{
    public const string DefaultDirectory = "/etc/ssh/custos";
    public const string DefaultHostKey = "/etc/ssh/ssh_host_ed25519_key.pub";
    public const string PrincipalsFolder = "principals";

    public string Directory { get; } = Path.GetFullPath(directory);

    public string UserCaFile => Path.Combine(Directory, "user_ca.pub");

    public string KrlFile => Path.Combine(Directory, "revoked.krl");

    public string PrincipalsDirectory => Path.Combine(Directory, PrincipalsFolder);

    public string ServerCaFile => Path.Combine(Directory, "server-ca.crt");

    public string StateFile => Path.Combine(Directory, "node.json");

    public string PrincipalsFile(string login) => Path.Combine(PrincipalsDirectory, login);

    /// <summary>The private key of a host public key file: the same path less <c>.pub</c>.</summary>
    public static string PrivateKeyPath(string hostPublicKeyPath) =>
        hostPublicKeyPath.EndsWith(".pub", StringComparison.Ordinal)
            ? hostPublicKeyPath[..^".pub".Length]
            : throw new ArgumentException($"{hostPublicKeyPath} does not end in .pub", nameof(hostPublicKeyPath));

    /// <summary>
    /// Where the host certificate goes: <c>HOSTKEY-cert.pub</c> beside the key, or with that file name in
    /// <paramref name="outDirectory"/> when one is given.
    /// </summary>
    public static string HostCertificatePath(string hostPublicKeyPath, string? outDirectory)
    {
        var beside = PrivateKeyPath(hostPublicKeyPath) + "-cert.pub";
        return outDirectory is null ? beside : Path.Combine(outDirectory, Path.GetFileName(beside));
    }
}
