using System.Net;
using System.Net.Sockets;
using System.Text;
using Custos.Ssh.Tests.Support;

namespace Custos.Ssh.Tests.Interop;

/// <summary>Terminal sessions, SFTP, SCP, port forwarding and keyboard-interactive with the stock OpenSSH tools against our server.</summary>
public sealed class OpenSshClientFeatureTests : IAsyncLifetime
{
    private OurServer _server = null!;
    private OpenSshClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _server = new OurServer();
        _client = new OpenSshClient(_server.Port);
        _server.Authenticator.Allow(_client.UserKey.PublicKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private string Port => _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_terminal_session_gets_a_pty_and_a_shell()
    {
        var ssh = string.Join(' ', _client.CommonOptions().Select(o => "'" + o + "'"));
        var command = $"ssh -tt {ssh} -p {Port} tester@127.0.0.1";

        var result = OpenSshClient.Run("/usr/bin/script", "hello\rexit\r", ["-q", "-e", "-c", command, "/dev/null"]);

        Assert.Contains("custos echo shell term=", result.Output);
        Assert.Contains("echo: hello", result.Output);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Output} {result.Error}");
    }

    [Fact]
    public void Sftp_batch_transfers_files_through_the_sftp_subsystem()
    {
        var source = _client.Directory.Write("source.bin", new string('x', 300_000) + "end");
        var target = _client.Directory.File("copied.bin");
        var batch = _client.Directory.Write("batch", $"put {source} {target}.remote\nget {target}.remote {target}\nrm {target}.remote\n");
        var arguments = _client.CommonOptions("-P", Port, "-b", batch, "tester@127.0.0.1");

        var result = OpenSshClient.Run("/usr/bin/sftp", null, arguments);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(File.ReadAllText(source), File.ReadAllText(target));
    }

    [Fact]
    public void Scp_copies_a_file_through_the_sftp_subsystem()
    {
        var source = _client.Directory.Write("scp-source.txt", "copied by scp\n");
        var target = _client.Directory.File("scp-target.txt");
        var arguments = _client.CommonOptions("-P", Port, source, $"tester@127.0.0.1:{target}");

        var result = OpenSshClient.Run("/usr/bin/scp", null, arguments);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("copied by scp\n", File.ReadAllText(target));
    }

    [Fact]
    public async Task Ssh_W_reaches_a_loopback_service_through_direct_tcpip()
    {
        await using var echo = EchoService.Start();

        var result = _client.Ssh("ping through -W\n", _client.CommonOptions("-W", $"127.0.0.1:{echo.Port}"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("PING THROUGH -W\n", result.Output);
    }

    [Fact]
    public async Task Ssh_L_forwards_a_local_port_through_direct_tcpip()
    {
        await using var echo = EchoService.Start();
        var localPort = FreePort();
        var forward = _client.Ssh(null, _client.CommonOptions("-f", "-N", "-o", "ExitOnForwardFailure=yes", "-L", $"{localPort}:127.0.0.1:{echo.Port}"));
        Assert.True(forward.ExitCode == 0, forward.Error);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, localPort, TestContext.Current.CancellationToken);
            var stream = tcp.GetStream();
            await stream.WriteAsync("via -L\n"u8.ToArray(), TestContext.Current.CancellationToken);
            tcp.Client.Shutdown(SocketShutdown.Send);
            var reply = await new StreamReader(stream).ReadToEndAsync(TestContext.Current.CancellationToken);
            Assert.Equal("VIA -L\n", reply);
        }
        finally
        {
            foreach (var session in _server.Sessions)
            {
                await session.DisconnectAsync();
            }
        }
    }

    [Fact]
    public void OpenSSH_re_keying_every_megabyte_during_a_transfer_keeps_every_byte()
    {
        var ssh = string.Join(' ', _client.CommonOptions("-o", "RekeyLimit=1M").Select(o => "'" + o + "'"));
        var command = $"/usr/bin/ssh {ssh} -p {Port} tester@127.0.0.1 'head -c 20000000 /dev/zero; printf x' | wc -c";

        var result = OpenSshClient.Run("/bin/sh", null, ["-c", command]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("20000001", result.Output.Trim());
        Assert.True(Assert.Single(_server.Sessions).KeyExchangeCount >= 10, $"{_server.Sessions.Single().KeyExchangeCount} key exchanges");
    }

    [Fact]
    public void Keyboard_interactive_prompts_are_answered_through_askpass()
    {
        var askpass = _client.Directory.Write("askpass.sh", $"#!/bin/sh\necho {TestAuthenticator.Code}\n");
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new List<string>
        {
            "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "PreferredAuthentications=keyboard-interactive", "-o", "PubkeyAuthentication=no",
            "-p", Port, "tester@127.0.0.1", "echo", "mfa-ok",
        };

        var result = RunWithAskpass(askpass, options);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("mfa-ok\n", result.Output);
    }

    [Fact]
    public async Task A_key_alone_is_a_partial_success_when_a_second_factor_is_required()
    {
        await using var server = new OurServer(new TestAuthenticator { RequireKeyThenCode = true });
        server.Authenticator.Allow(_client.UserKey.PublicKey);
        var askpass = _client.Directory.Write("askpass2.sh", $"#!/bin/sh\necho {TestAuthenticator.Code}\n");
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new List<string>
        {
            "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + _client.IdentityFile,
            "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "tester@127.0.0.1", "echo", "two-factors",
        };

        var result = RunWithAskpass(askpass, options);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("two-factors\n", result.Output);
        var session = Assert.Single(server.Sessions);
        Assert.Equal(["keyboard-interactive", "publickey"], session.AuthenticationContext!.CompletedMethods.Order());
    }

    private static OpenSshTools.Result RunWithAskpass(string askpass, List<string> arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-w");
        start.ArgumentList.Add(OpenSshTools.Ssh);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["SSH_ASKPASS"] = askpass;
        start.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        start.Environment["DISPLAY"] = ":0";
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "ssh did not finish");
        return new OpenSshTools.Result(process.ExitCode, output.Result, error.Result);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A loopback TCP service that upper-cases what it receives and closes after the client's EOF.</summary>
internal sealed class EchoService : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static EchoService Start()
    {
        var service = new EchoService();
        service._listener.Start();
        service._loop = service.RunAsync();
        return service;
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var text = await new StreamReader(stream).ReadToEndAsync();
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToUpperInvariant()));
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
