using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Custos.Testing.OpenSsh;

/// <summary>
/// A real OpenSSH <c>sshd</c> in the foreground (<c>-D -e -f CONFIG</c>) on a free loopback port, with a
/// configuration file of its own in <see cref="Directory"/>: the port, the address, the pid file and <c>UsePAM no</c>
/// are set here, everything else (host key, trusted CAs, principals, ...) by the caller, with absolute paths. sshd
/// refuses to start until its privilege-separation directory <c>/run/sshd</c> exists, so it is created. Its log
/// (standard error) is kept for failure messages. A missing sshd fails the test: scripts/test.sh installs it.
/// </summary>
public sealed class SshdProcess : IDisposable, IAsyncDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly List<string> _log = [];

    private SshdProcess(Process process, string directory, string configFile, int port)
    {
        _process = process;
        Directory = directory;
        ConfigFile = configFile;
        Port = port;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.Add(e.Data); };
        process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public string ConfigFile { get; }

    public int Port { get; }

    /// <summary>What sshd logged so far, one line per entry.</summary>
    public string LogText { get { lock (_log) return string.Join('\n', _log); } }

    /// <summary>Writes <c>DIRECTORY/sshd_config</c> with <paramref name="settings"/> and starts sshd; returns once it listens.</summary>
    public static SshdProcess Start(string directory, IEnumerable<string> settings) => Start(directory, FreePort.Next(), settings);

    /// <summary>The same on a port chosen beforehand (a node registered with its address before sshd runs).</summary>
    public static SshdProcess Start(string directory, int port, IEnumerable<string> settings)
    {
        if (!File.Exists(SshdPath)) throw new InvalidOperationException($"{SshdPath} is needed (scripts/test.sh installs openssh-server)");
        System.IO.Directory.CreateDirectory("/run/sshd");
        var configFile = Path.Combine(directory, "sshd_config");
        string[] lines =
        [
            "Port " + port.ToString(CultureInfo.InvariantCulture),
            "ListenAddress 127.0.0.1",
            "PidFile " + Path.Combine(directory, "sshd.pid"),
            "UsePAM no",
            .. settings,
        ];
        File.WriteAllText(configFile, string.Join('\n', lines) + "\n");
        var start = new ProcessStartInfo(SshdPath) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-D", "-e", "-f", configFile }) start.ArgumentList.Add(argument);
        var sshd = new SshdProcess(Process.Start(start)!, directory, configFile, port);
        try
        {
            sshd.WaitUntilListening();
            return sshd;
        }
        catch
        {
            sshd.Dispose();
            throw;
        }
    }

    /// <summary>Returns once sshd accepts connections (after start, or after a SIGHUP made it re-execute itself).</summary>
    public void WaitUntilListening()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"sshd exited at start-up ({_process.ExitCode}):\n{LogText}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new TimeoutException($"sshd did not listen on port {Port} within {StartTimeout}:\n{LogText}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
