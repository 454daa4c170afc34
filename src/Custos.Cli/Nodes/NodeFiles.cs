using System.Security.Cryptography;
using Custos.Cli.Client;

namespace Custos.Cli.Nodes;

/// <summary>
/// How <c>custos node join|sync</c> writes the files sshd reads: each one whole or not at all (a temporary file in the
/// same directory, flushed, then renamed over the old one), so sshd never reads half a CA key or KRL. Modes are set on
/// the temporary file before anything is written to it and do not depend on the umask: public files 0644, secrets
/// 0600, directories 0755. Files are owned by whoever runs the command (root on a node).
/// </summary>
public static class NodeFiles
{
    public const UnixFileMode PublicMode = SecureFiles.PublicFileMode;
    public const UnixFileMode SecretMode = SecureFiles.FileMode;
    public const UnixFileMode DirectoryMode = SecureFiles.DirectoryMode |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Creates the directory and its missing parents 0755; an existing directory is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        var missing = new Stack<string>();
        for (var dir = Path.GetFullPath(path); !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)!) missing.Push(dir);
        while (missing.TryPop(out var dir))
        {
            Directory.CreateDirectory(dir);
            // CreateDirectory's mode is narrowed by the umask; sshd and its admins expect exactly 0755.
            File.SetUnixFileMode(dir, DirectoryMode);
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> and <paramref name="mode"/>, unless it already
    /// holds exactly that (then nothing is touched). True when the file was written.
    /// </summary>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        if (HasContents(path, contents, mode)) return false;
        WriteAtomic(path, contents, mode);
        return true;
    }

    /// <summary>Replaces <paramref name="path"/> atomically with <paramref name="contents"/> and exactly <paramref name="mode"/>.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        var temp = SecureFiles.TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                // Created owner-only, then given its final mode before any byte is in it.
                UnixCreateMode = SecretMode,
            }))
            {
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            SecureFiles.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> 0600 with <paramref name="contents"/>, refusing to replace an existing file (the
    /// rename into place fails if something appeared meanwhile).
    /// </summary>
    public static void WriteExclusive(string path, ReadOnlySpan<byte> contents)
    {
        var temp = SecureFiles.TempPathFor(path);
        try
        {
            SecureFiles.WriteNew(temp, contents, SecretMode);
            File.Move(temp, path, overwrite: false);
        }
        catch
        {
            SecureFiles.TryDelete(temp);
            throw;
        }
    }

    private static bool HasContents(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length != contents.Length || info.UnixFileMode != mode) return false;
        var existing = File.ReadAllBytes(path);
        return CryptographicOperations.FixedTimeEquals(existing, contents);
    }
}
