using System.Globalization;
using Custos.Testing;
using Custos.Testing.OpenSsh;

namespace Custos.Server.Tests.Fixtures;

/// <summary>What the direct-SSH end-to-end tests do as a user: get a certificate with <c>custos ssh</c>, and use one with the stock ssh.</summary>
public static class DirectSshClient
{
    /// <summary>
    /// Asks for <paramref name="home"/>'s certificate for root@NODE (exec of <c>id -un</c>) and keeps a copy of it at a
    /// fresh path from <paramref name="file"/> (the profile's certificate file is overwritten by the next request).
    /// </summary>
    public static async Task<string> CertificateForAsync(CliHome home, string node, Func<string, string> file)
    {
        var result = await home.RunAsync("ssh", "root@" + node, "--print-only", "--", "id", "-un");
        Assert.True(result.ExitCode == 0, result.ToString());
        var copy = file($"{Path.GetFileName(home.Root)}-{node}-{Guid.NewGuid():n}-cert.pub");
        File.Copy(DirectSshInstallation.CertificateFile(home), copy);
        return copy;
    }

    /// <summary>The stock ssh as root to 127.0.0.1:PORT running <c>id -un</c>, with <paramref name="home"/>'s key and <paramref name="certificate"/>; the host key unchecked (not what is tested).</summary>
    public static Task<OpenSshResult> PlainSshAsync(CliHome home, string certificate, int port) => OpenSshProgram.RunAsync("ssh",
        "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-i", DirectSshInstallation.KeyFile(home), "-o", "CertificateFile=" + certificate,
        "-p", port.ToString(CultureInfo.InvariantCulture), "root@127.0.0.1", "id -un");
}
