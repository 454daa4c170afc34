using System.Security.Cryptography;

namespace Custos.Cli.Client;

/// <summary>
/// Owner-only files and directories for client state. Modes are given at creation (never widened then narrowed by a
/// later chmod), and files are replaced by writing a temporary file beside them and renaming it, so a reader or a
/// crash never sees half a secret.
/// </summary>
public static class SecureFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the directory (and missing parents) 0700; an existing directory is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        // Directory.CreateDirectory(path, mode) gives the mode to the last directory only: create each missing one.
        var missing = new Stack<string>();
        for (var dir = Path.GetFullPath(path); !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)!) missing.Push(dir);
        while (missing.TryPop(out var dir)) Directory.CreateDirectory(dir, DirectoryMode);
    }

    /// <summary>Mode 0644, for public files that tools expect to be world-readable (an SSH public key or certificate).</summary>
    public const UnixFileMode PublicFileMode = FileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically with mode 0600.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> contents) => WriteAtomic(path, contents, FileMode);

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically with <paramref name="mode"/>.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        var temp = TempPathFor(path);
        try
        {
            WriteNew(temp, contents, mode);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAtomic(string path, string contents) => WriteAtomic(path, System.Text.Encoding.UTF8.GetBytes(contents));

    /// <summary>A fresh, unpredictable temporary name in the same directory (so the rename stays on one file system).</summary>
    public static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
    }

    /// <summary>Creates a new file 0600 (failing if it exists) and flushes it to disk.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> contents) => WriteNew(path, contents, FileMode);

    /// <summary>Creates a new file with <paramref name="mode"/> (failing if it exists) and flushes it to disk.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = mode,
        });
        stream.Write(contents);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>True when group or others have any permission on the file or directory.</summary>
    public static bool IsExposed(string path) => (File.GetUnixFileMode(path) & GroupOrOther) != 0;

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
