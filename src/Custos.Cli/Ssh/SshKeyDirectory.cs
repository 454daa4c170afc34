using Custos.Cli.Client;
using Custos.Ssh;
using Custos.Ssh.Keys;

namespace Custos.Cli.Ssh;

/// <summary>
/// The profile's SSH files, <c>$CUSTOS_HOME/keys/PROFILE/</c> (0700): the Ed25519 key pair that <c>custos login</c>
/// generates once and keeps across logins (<c>id_ed25519</c> 0600, <c>id_ed25519.pub</c> 0644), the last certificate
/// the server signed for it (<c>id_ed25519-cert.pub</c> 0644) and the known_hosts that came with it. The private key is
/// only ever read by the local <c>ssh</c>; Custos sends the public key alone.
/// </summary>
public sealed class SshKeyDirectory
{
    public const string KeysFolder = "keys";

    private SshKeyDirectory(string root) => Root = root;

    public string Root { get; }

    public string PrivateKeyFile => Path.Combine(Root, "id_ed25519");

    public string PublicKeyFile => Path.Combine(Root, "id_ed25519.pub");

    public string CertificateFile => Path.Combine(Root, "id_ed25519-cert.pub");

    public string KnownHostsFile => Path.Combine(Root, "known_hosts");

    /// <summary>The directory of the home's profile (<c>default</c> until a profile names itself otherwise).</summary>
    public static SshKeyDirectory For(CustosHome home, Profile? profile) => For(home, profile?.Name ?? Profile.DefaultName);

    public static SshKeyDirectory For(CustosHome home, string profileName)
    {
        // The name becomes a path segment: nothing that could leave keys/.
        if (profileName.Length == 0 || profileName is "." or ".." || profileName.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new CliException(ExitCodes.IoError, $"{home.ProfileFile} names the profile \"{profileName}\", which cannot be a directory name; fix or delete it");
        return new SshKeyDirectory(Path.Combine(home.Root, KeysFolder, profileName));
    }

    /// <summary>
    /// The key pair's public key, generating the pair first when there is none (true in <paramref name="created"/>).
    /// An existing private key is kept, and its <c>.pub</c> rewritten from it when missing or different.
    /// </summary>
    public SshPublicKey EnsureKeyPair(string comment, out bool created)
    {
        // Creates $CUSTOS_HOME and keys/ too when missing, all 0700.
        SecureFiles.CreateDirectory(Root);
        created = false;
        if (!File.Exists(PrivateKeyFile))
        {
            using var generated = SshPrivateKey.Generate(SshKeyType.Ed25519);
            var temp = SecureFiles.TempPathFor(PrivateKeyFile);
            try
            {
                SecureFiles.WriteNew(temp, System.Text.Encoding.UTF8.GetBytes(generated.ToOpenSshText(comment)));
                // No overwrite: when another login created the pair meanwhile, that one stays and ours is dropped.
                File.Move(temp, PrivateKeyFile, overwrite: false);
                created = true;
            }
            catch (IOException) when (File.Exists(PrivateKeyFile))
            {
                SecureFiles.TryDelete(temp);
            }
            catch
            {
                SecureFiles.TryDelete(temp);
                throw;
            }
        }
        var publicKey = LoadPublicKey(out var keyComment);
        var line = publicKey.ToText(keyComment.Length > 0 ? keyComment : comment) + "\n";
        if (!File.Exists(PublicKeyFile) || File.ReadAllText(PublicKeyFile) != line)
            SecureFiles.WriteAtomic(PublicKeyFile, System.Text.Encoding.UTF8.GetBytes(line), SecureFiles.PublicFileMode);
        return publicKey;
    }

    /// <summary>The public half of the private key file (the file is the authority, not the <c>.pub</c> beside it).</summary>
    public SshPublicKey LoadPublicKey(out string comment)
    {
        if (SecureFiles.IsExposed(PrivateKeyFile))
            throw new CliException(ExitCodes.IoError, $"{PrivateKeyFile} is accessible to other users (ssh would refuse it too); run chmod 600 {PrivateKeyFile}");
        try
        {
            using var key = SshPrivateKey.Load(File.ReadAllText(PrivateKeyFile), out comment);
            return key.PublicKey;
        }
        catch (SshFormatException e)
        {
            throw new CliException(ExitCodes.IoError, $"{PrivateKeyFile} is not a usable private key ({e.Message}); delete it and run custos login to generate a new pair", e);
        }
    }

    /// <summary>Replaces the certificate (0644, written whole or not at all).</summary>
    public void WriteCertificate(string certificateLine) =>
        SecureFiles.WriteAtomic(CertificateFile, System.Text.Encoding.UTF8.GetBytes(certificateLine.TrimEnd() + "\n"), SecureFiles.PublicFileMode);

    /// <summary>Replaces the known_hosts file with <paramref name="lines"/> (empty when the node is checked by fingerprint).</summary>
    public void WriteKnownHosts(IReadOnlyList<string> lines) =>
        SecureFiles.WriteAtomic(KnownHostsFile, System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l.TrimEnd() + "\n"))), SecureFiles.PublicFileMode);
}
