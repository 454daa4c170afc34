using Custos.Cli.Client;
using Custos.Ssh;
using Custos.Ssh.Keys;

namespace Custos.Cli.Nodes;

/// <summary>
/// The node's SSH host key, which is its credential towards Custos: join and sync prove the node holds it by signing
/// <c>NodeProof</c>'s messages with it. It is read from <c>HOSTKEY</c> (the <c>--host-key</c> path less <c>.pub</c>) and
/// must be the key in the <c>.pub</c>, since sshd presents that one and the host certificate certifies it. The private
/// key never leaves this process; only signatures and the public key are sent.
/// </summary>
public sealed class NodeHostKey : IDisposable
{
    private readonly SshPrivateKey _key;

    private NodeHostKey(string publicKeyFile, string privateKeyFile, SshPrivateKey key)
    {
        PublicKeyFile = publicKeyFile;
        PrivateKeyFile = privateKeyFile;
        _key = key;
    }

    public string PublicKeyFile { get; }

    public string PrivateKeyFile { get; }

    public SshPublicKey PublicKey => _key.PublicKey;

    /// <summary>The public key line, type and base64 only (a comment would only leak the host's name).</summary>
    public string PublicKeyLine => _key.PublicKey.ToText();

    /// <summary>
    /// Loads the pair named by <paramref name="publicKeyFile"/> (a <c>.pub</c> path). A missing, unreadable or
    /// passphrase-protected key, or a <c>.pub</c> that is not its public half, is an error naming the file.
    /// </summary>
    public static NodeHostKey Load(string publicKeyFile, string option = "--host-key")
    {
        if (!publicKeyFile.EndsWith(".pub", StringComparison.Ordinal))
            throw CliException.Usage($"{option}: {publicKeyFile} is not a public key file (.pub); give the host public key, e.g. {NodeLayout.DefaultHostKey}");
        var publicPath = Path.GetFullPath(publicKeyFile);
        var privatePath = NodeLayout.PrivateKeyPath(publicPath);
        var declared = ReadPublicKey(publicPath, option);
        var key = ReadPrivateKey(privatePath, option);
        if (!key.PublicKey.Equals(declared))
        {
            var found = key.PublicKey.GetFingerprint();
            key.Dispose();
            throw CliException.Usage($"{option}: {publicPath} ({declared.GetFingerprint()}) is not the public half of {privatePath} ({found}); " +
                "regenerate it with ssh-keygen -y -f " + privatePath);
        }
        return new NodeHostKey(publicPath, privatePath, key);
    }

    /// <summary>The SSH signature blob over <paramref name="message"/> with the key's own algorithm (rsa-sha2-512 for RSA).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => _key.Sign(message);

    /// <summary>Base64 of <see cref="Sign"/>, as the join and sync requests carry it.</summary>
    public string SignBase64(ReadOnlySpan<byte> message) => Convert.ToBase64String(Sign(message));

    private static SshPublicKey ReadPublicKey(string path, string option)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{option}: cannot read {path}: {e.Message}");
        }
        try
        {
            var key = SshPublicKey.ParseText(text.Trim());
            if (key is Custos.Ssh.Certificates.SshCertificate)
                throw CliException.Usage($"{option}: {path} is a certificate; give the host public key it certifies");
            return key;
        }
        catch (SshFormatException e)
        {
            throw CliException.Usage($"{option}: {path} is not an SSH public key line ({e.Message})");
        }
    }

    private static SshPrivateKey ReadPrivateKey(string path, string option)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CliException.Usage($"{option}: cannot read the host private key {path} ({e.Message}); run custos node as root");
        }
        catch (Exception e) when (e is IOException)
        {
            throw CliException.Usage($"{option}: cannot read the host private key {path} ({e.Message}); --host-key names the .pub beside it");
        }
        try
        {
            return SshPrivateKey.Load(text);
        }
        catch (Exception e) when (e is SshFormatException or System.Security.Cryptography.CryptographicException or NotSupportedException)
        {
            // SshFormatException's message says what is wrong (a passphrase, an unknown format); it never holds key bytes.
            throw CliException.Usage($"{option}: {path} is not a usable host private key: {e.Message}");
        }
    }

    public void Dispose() => _key.Dispose();
}
