using System.Text.Json;
using Custos.Cli.Client;

namespace Custos.Cli.Nodes;

/// <summary>
/// <c>node.json</c> in the managed directory (0600): what <c>custos node join</c> learnt and <c>custos node sync</c>
/// needs. <see cref="Logins"/> is the <c>--logins</c> list, or null for "every account with a login shell" (recomputed
/// at each sync from <see cref="PasswdFile"/>); <see cref="Principals"/> is the logins whose principals files were
/// written last, so that sync removes only files it wrote itself.
/// </summary>
public sealed record NodeState(
    string Server,
    string Node,
    string HostKey,
    string HostCertificate,
    IReadOnlyList<string>? Logins,
    string? ReloadCommand,
    string? KrlEtag,
    IReadOnlyList<string> Principals,
    string? PasswdFile = null)
{
    public const string DefaultPasswdFile = "/etc/passwd";

    /// <summary>Reads <paramref name="path"/>; a missing or malformed file is an I/O error naming it and the fix.</summary>
    public static NodeState Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.IoError, $"{path} does not exist: this node has not joined (run custos node join), or pass the --dir it joined with", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.IoError, $"cannot read {path}: {e.Message}", e);
        }
        NodeState? state;
        try
        {
            state = JsonSerializer.Deserialize<NodeState>(bytes, ApiJson.Options);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.IoError, $"{path} is not a valid node state ({e.Message}); run custos node join again", e);
        }
        if (state is null || string.IsNullOrEmpty(state.Server) || string.IsNullOrEmpty(state.Node) ||
            string.IsNullOrEmpty(state.HostKey) || string.IsNullOrEmpty(state.HostCertificate))
            throw new CliException(ExitCodes.IoError, $"{path} lacks the server, node, host_key or host_certificate; run custos node join again");
        return state with { Principals = state.Principals ?? [] };
    }

    /// <summary>Writes the state atomically, 0600.</summary>
    public void Save(string path) =>
        NodeFiles.WriteAtomic(path, JsonSerializer.SerializeToUtf8Bytes(this, ApiJson.Indented), NodeFiles.SecretMode);
}
