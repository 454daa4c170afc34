using System.Diagnostics;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Support;

/// <summary>Runs the stock OpenSSH client against a loopback port with an isolated configuration.</summary>
internal sealed class OpenSshClient : IDisposable
{
    private readonly TempDirectory _directory = new();

    public OpenSshClient(int port, SshKeyType keyType = SshKeyType.Ed25519)
    {
        Port = port;
        UserKey = SshPrivateKey.Generate(keyType, 2048);
        IdentityFile = _directory.Write("id_user", UserKey.ToOpenSshText("tester@custos"));
    }

    public int Port { get; }
    public SshPrivateKey UserKey { get; }
    public string IdentityFile { get; }
    public TempDirectory Directory => _directory;

    /// <summary>Options shared by ssh, sftp and scp: no config, no prompts, no known_hosts.</summary>
    public List<string> CommonOptions(params string[] extra)
    {
        List<string> options =
        [
            "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + IdentityFile,
        ];
        options.AddRange(extra);
        return options;
    }

    public OpenSshTools.Result Ssh(string? input, IEnumerable<string> options, params string[] command)
    {
        var arguments = new List<string>(options) { "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "tester@127.0.0.1" };
        arguments.AddRange(command);
        return OpenSshTools.RunWithInput(OpenSshTools.Ssh, input, [.. arguments]);
    }

    public static OpenSshTools.Result Run(string program, string? input, IEnumerable<string> arguments, int timeoutMs = 60_000)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish in {timeoutMs} ms.");
        }
        return new OpenSshTools.Result(process.ExitCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        UserKey.Dispose();
        _directory.Dispose();
    }
}
