using System.Text;
using Custos.Cli.Client;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Nodes;

/// <summary>
/// Puts a <see cref="NodeBundleResponse"/> on disk: the user CA keys, the KRL, one principals file per login and the
/// host certificate, each rewritten only when its contents differ. In <c>principals/</c> it removes the files of
/// logins it wrote before and no longer manages, and nothing else there.
/// </summary>
public static class NodeBundleWriter
{
    /// <summary>What one write changed, for the command's report (paths, never contents).</summary>
    public sealed record Changes(IReadOnlyList<string> Written, IReadOnlyList<string> Removed, bool HostCertificateChanged)
    {
        public bool Any => Written.Count > 0 || Removed.Count > 0;
    }

    /// <summary>
    /// Writes <paramref name="bundle"/> into <paramref name="layout"/> for <paramref name="logins"/>;
    /// <paramref name="previousPrincipals"/> are the logins whose files an earlier run wrote.
    /// </summary>
    public static Changes Apply(NodeLayout layout, string hostCertificatePath, NodeBundleResponse bundle,
        IReadOnlyList<string> logins, IReadOnlyList<string> previousPrincipals)
    {
        var krl = DecodeKrl(bundle.Krl);
        if (string.IsNullOrWhiteSpace(bundle.UserCaKeys))
            throw new CliException(ExitCodes.Failure, "the server sent no user CA key; refusing to replace user_ca.pub with nothing");
        if (string.IsNullOrWhiteSpace(bundle.HostCertificate))
            throw new CliException(ExitCodes.Failure, "the server sent no host certificate");

        var written = new List<string>();
        var removed = new List<string>();
        NodeFiles.CreateDirectory(layout.Directory);
        NodeFiles.CreateDirectory(layout.PrincipalsDirectory);
        Write(layout.UserCaFile, Lines(bundle.UserCaKeys), written);
        Write(layout.KrlFile, krl, written);
        foreach (var login in logins)
            Write(layout.PrincipalsFile(login), Encoding.UTF8.GetBytes($"{login}@{bundle.Node}\n"), written);
        foreach (var stale in previousPrincipals.Except(logins, StringComparer.Ordinal))
        {
            // Only names this tool wrote (recorded in node.json) and could have written: nothing else in principals/ is touched.
            if (!NodeLogins.IsValid(stale)) continue;
            var path = layout.PrincipalsFile(stale);
            if (!File.Exists(path)) continue;
            File.Delete(path);
            removed.Add(path);
        }
        var certificateDirectory = Path.GetDirectoryName(Path.GetFullPath(hostCertificatePath))!;
        if (!Directory.Exists(certificateDirectory)) NodeFiles.CreateDirectory(certificateDirectory);
        var certificateChanged = Write(hostCertificatePath, Lines(bundle.HostCertificate), written);
        return new Changes(written, removed, certificateChanged);
    }

    /// <summary>Text as lines that each end in a newline (what sshd and ssh-keygen read best).</summary>
    public static byte[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0);
        return Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
    }

    private static byte[] DecodeKrl(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.Failure, "the server's KRL is not valid base64; revoked.krl was left as it was", e);
        }
    }

    private static bool Write(string path, byte[] contents, List<string> written)
    {
        if (!NodeFiles.WriteIfChanged(path, contents, NodeFiles.PublicMode)) return false;
        written.Add(path);
        return true;
    }
}
