using System.Security.Cryptography;
using Custos.Core.Crypto;

namespace Custos.Server.Hosting;

/// <summary>
/// The per-instance state on disk: the directory (0700), the master key (0600), the TLS files, the bootstrap token.
/// Everything else lives in the database, so instances sharing a database share it.
/// </summary>
public sealed class DataDirectory
{
    public const string MasterKeyEnvironmentVariable = "CUSTOS_MASTER_KEY";
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SecretFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public DataDirectory(string path) => Root = Path.GetFullPath(path);

    public string Root { get; }
    public string DatabaseFile => Path.Combine(Root, "custos.db");
    public string MasterKeyFile => Path.Combine(Root, "master.key");
    public string TlsDirectory => Path.Combine(Root, "tls");
    public string TlsCertificateFile => Path.Combine(TlsDirectory, "server.crt");
    public string TlsKeyFile => Path.Combine(TlsDirectory, "server.key");
    public string BootstrapTokenFile => Path.Combine(Root, "bootstrap.token");

    /// <summary>Creates the directory with mode 0700 if missing; refuses a directory others can read or write.</summary>
    public void EnsureCreated()
    {
        if (!Directory.Exists(Root))
        {
            Directory.CreateDirectory(Root, DirectoryMode);
        }
        else
        {
            var mode = File.GetUnixFileMode(Root);
            if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) != 0)
                throw new InvalidOperationException($"data dir {Root} is accessible to other users (mode {Convert.ToString((int)mode, 8)}); chmod 700 it");
        }
        Directory.CreateDirectory(TlsDirectory, DirectoryMode);
    }

    public string InitializationLockFile => Path.Combine(Root, ".init.lock");

    /// <summary>
    /// Holds an exclusive lock (flock) on DIR/.init.lock until disposed. First-start initialisation runs under it:
    /// two processes started at once on an empty directory would otherwise each write a master key, a TLS pair and a
    /// database file, and the loser's master key could replace the one that sealed the audit signing key.
    /// </summary>
    public IDisposable LockForInitialization(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(InitializationLockFile, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = SecretFileMode,
                });
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>
    /// The master key: from CUSTOS_MASTER_KEY if set, else DIR/master.key, created (0600) when <paramref name="create"/>.
    /// </summary>
    public MasterKey LoadMasterKey(bool create, string? environmentValue)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
            return MasterKey.Parse(environmentValue, MasterKeyEnvironmentVariable);
        if (File.Exists(MasterKeyFile))
        {
            CheckPrivate(MasterKeyFile);
            return MasterKey.Parse(File.ReadAllText(MasterKeyFile), MasterKeyFile);
        }
        if (!create)
            throw new InvalidOperationException($"no master key: {MasterKeyFile} does not exist and {MasterKeyEnvironmentVariable} is not set");
        var key = MasterKey.Generate();
        WriteSecretFile(MasterKeyFile, key.Export() + "\n");
        return key;
    }

    /// <summary>Writes a file readable only by its owner, atomically (no window where it exists with wider permissions).</summary>
    public static void WriteSecretFile(string path, string contents)
    {
        var temp = path + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = SecretFileMode,
            Options = FileOptions.WriteThrough,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Refuses key material that group or others can read.</summary>
    public static void CheckPrivate(string path)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"{path} is readable by other users (mode {Convert.ToString((int)mode, 8)}); chmod 600 it");
    }
}
