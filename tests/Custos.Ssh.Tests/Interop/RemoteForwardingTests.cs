using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Custos.Ssh.Client;
using Custos.Ssh.Connection;
using Custos.Ssh.Forwarding;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Tests.Interop;

/// <summary>
/// Remote port forwarding (RFC 4254 §7.1-§7.2) in both roles: `ssh -R` against our server with the opt-in
/// listener helper, refusal by the host's handler, cancel-tcpip-forward, and our client against a real sshd.
/// </summary>
public sealed partial class RemoteForwardingTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly List<TcpipForwardRequest> _requests = [];
    private OurServer _server = null!;
    private EchoService _echo = null!;
    private bool _refuse;
    private bool _throw;

    public ValueTask InitializeAsync()
    {
        _echo = EchoService.Start();
        _server = new OurServer(configure: options => options with
        {
            RemoteForwardHandler = (session, request, token) =>
            {
                lock (_requests)
                {
                    _requests.Add(request);
                }
                if (_throw)
                {
                    throw new InvalidOperationException("host failure");
                }
                return ValueTask.FromResult(_refuse ? RemoteForwardDecision.Refuse() : RemoteForwardListener.Grant(session, request, IPAddress.Loopback));
            },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [GeneratedRegex(@"Allocated port (\d+) for remote forward")]
    private static partial Regex AllocatedPort();

    [Fact]
    public async Task OpenSSH_R_with_port_0_gets_an_allocated_port_whose_connections_reach_the_client_side_service()
    {
        using var client = new OpenSshClient(_server.Port);
        _server.Authenticator.Allow(client.UserKey.PublicKey);
        using var ssh = StartSsh(client, "-N", "-R", $"0:127.0.0.1:{_echo.Port}");
        var port = await WaitForAllocatedPortAsync(ssh);

        Assert.Equal("THROUGH -R\n", await EchoThroughAsync(port, "through -R\n"));
        Assert.Equal("AND AGAIN\n", await EchoThroughAsync(port, "and again\n"));
        var request = Assert.Single(_requests);
        Assert.Equal(0u, request.PortToBind);
        var session = Assert.Single(_server.Sessions);
        Assert.Equal((uint)port, Assert.Single(session.RemoteForwards).BoundPort);
    }

    [Fact]
    public async Task A_refusing_handler_makes_OpenSSH_report_the_forwarding_failure()
    {
        _refuse = true;
        using var client = new OpenSshClient(_server.Port);
        _server.Authenticator.Allow(client.UserKey.PublicKey);
        using var ssh = StartSsh(client, "-N", "-R", $"0:127.0.0.1:{_echo.Port}");
        var error = ssh.StandardError.ReadToEndAsync(Token);

        Assert.True(ssh.WaitForExit(30_000), "ssh kept running although the forward was refused");
        Assert.NotEqual(0, ssh.ExitCode);
        Assert.Contains("remote port forwarding failed", await error);
        Assert.Single(_requests);
    }

    [Fact]
    public async Task Our_client_forwards_a_port_through_our_server_bytes_flow_both_ways_and_cancel_stops_the_listener()
    {
        await using var client = await ConnectOurClientAsync(_server.Port, new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey));
        var forward = await client.RequestRemoteForwardAsync("localhost", 0, Token);

        Assert.NotNull(forward);
        Assert.NotEqual(0u, forward.BoundPort);
        var large = string.Concat(Enumerable.Repeat("back-pressure ", 300_000)) + "\n";
        Assert.Equal(large.ToUpperInvariant(), await EchoThroughAsync((int)forward.BoundPort, large));

        Assert.True(await client.CancelRemoteForwardAsync(forward, Token));
        await AssertEventuallyRefusedAsync((int)forward.BoundPort);
        Assert.False(await client.CancelRemoteForwardAsync(forward, Token));
        Assert.Empty(Assert.Single(_server.Sessions).RemoteForwards);
    }

    [Fact]
    public async Task A_failing_handler_refuses_the_forward_and_the_connection_carries_on()
    {
        _throw = true;
        await using var client = await ConnectOurClientAsync(_server.Port, new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey));

        Assert.Null(await client.RequestRemoteForwardAsync("localhost", 0, Token));
        Assert.Equal("still here\n", (await client.ExecuteAsync("echo still here", cancellationToken: Token)).Output);
    }

    [Fact]
    public async Task Forwarded_tcpip_channels_for_forwards_never_granted_are_refused_by_both_roles()
    {
        await using var client = await ConnectOurClientAsync(_server.Port, new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey));
        var session = Assert.Single(_server.Sessions);
        var never = new RemoteForward("localhost", 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => session.OpenForwardedTcpipAsync(never, "127.0.0.1", 5, Token));
        var open = Custos.Ssh.Wire.SshMessage.EncodeData(new ForwardedTcpipOpen("localhost", 1, "127.0.0.1", 5));
        var refused = await Assert.ThrowsAsync<SshChannelOpenException>(() => session.OpenChannelAsync("forwarded-tcpip", open, Token));
        Assert.Equal(ChannelOpenFailureReason.AdministrativelyProhibited, refused.Reason);
        var byServer = await Assert.ThrowsAsync<SshChannelOpenException>(() => client.OpenChannelAsync("forwarded-tcpip", open, Token));
        Assert.Equal(ChannelOpenFailureReason.AdministrativelyProhibited, byServer.Reason);
    }

    [Fact]
    public async Task Our_client_requests_a_remote_forward_from_a_real_sshd_and_serves_its_forwarded_tcpip_channels()
    {
        await using var sshd = new RealSshd();
        await using var client = await ConnectOurClientAsync(sshd.Port, new PinnedHostKeyVerifier(sshd.HostKey.PublicKey), "root", sshd.UserKey);
        var forward = await client.RequestRemoteForwardAsync("127.0.0.1", 0, Token);

        Assert.NotNull(forward);
        Assert.Equal("VIA SSHD\n", await EchoThroughAsync((int)forward.BoundPort, "via sshd\n"));
        Assert.Equal("TWICE\n", await EchoThroughAsync((int)forward.BoundPort, "twice\n"));
        Assert.True(await client.CancelRemoteForwardAsync(forward, Token));
        await AssertEventuallyRefusedAsync((int)forward.BoundPort);
    }

    [Fact]
    public async Task A_forward_the_real_sshd_cannot_bind_is_refused_and_yields_null()
    {
        await using var sshd = new RealSshd();
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        await using var client = await ConnectOurClientAsync(sshd.Port, new PinnedHostKeyVerifier(sshd.HostKey.PublicKey), "root", sshd.UserKey);

        Assert.Null(await client.RequestRemoteForwardAsync("127.0.0.1", (uint)((IPEndPoint)occupied.LocalEndpoint).Port, Token));
        Assert.Empty(client.RemoteForwards);
    }

    /// <summary>Our client whose forwarded-tcpip handler bridges each channel to the echo service with the library's socket bridge.</summary>
    private async Task<SshClientSession> ConnectOurClientAsync(int port, IHostKeyVerifier verifier, string user = "tester", Custos.Ssh.Keys.SshPrivateKey? key = null)
    {
        var userKey = key ?? Custos.Ssh.Keys.SshPrivateKey.Generate();
        if (key is null)
        {
            _server.Authenticator.Allow(userKey.PublicKey);
        }
        var echoPort = _echo.Port;
        var client = await SshClientSession.ConnectAsync("127.0.0.1", port, new SshClientOptions
        {
            HostKeyVerifier = verifier,
            ForwardedTcpipHandler = (session, forward, open, token) => ValueTask.FromResult(ChannelOpenDecision.Accept(async (channel, channelToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, echoPort, channelToken);
                await SocketChannelBridge.RunAsync(channel, socket, channelToken);
            })),
        }, Token);
        Assert.True(await client.AuthenticateWithKeyAsync(user, userKey, cancellationToken: Token));
        return client;
    }

    private static Process StartSsh(OpenSshClient client, params string[] arguments)
    {
        // LogLevel INFO (not the fixture's ERROR): "Allocated port N" is an informational message.
        var start = new ProcessStartInfo(OpenSshTools.Ssh) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=INFO", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + client.IdentityFile,
            "-o", "ExitOnForwardFailure=yes", "-p", client.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(arguments).Append("tester@127.0.0.1"))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    private static async Task<int> WaitForAllocatedPortAsync(Process ssh)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var seen = new StringBuilder();
        try
        {
            while (await ssh.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.AppendLine(line);
                if (AllocatedPort().Match(line) is { Success: true } match)
                {
                    return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        finally
        {
            if (ssh.HasExited)
            {
                seen.Append("exit ").Append(ssh.ExitCode);
            }
        }
        Assert.Fail("ssh did not report an allocated port: " + seen);
        return 0;
    }

    /// <summary>Connects to the forwarded port, sends the text, half-closes and reads the echo service's answer.</summary>
    private static async Task<string> EchoThroughAsync(int port, string text)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, Token);
        var stream = tcp.GetStream();
        var send = Task.Run(async () =>
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), Token);
            tcp.Client.Shutdown(SocketShutdown.Send);
        }, Token);
        var reply = await new StreamReader(stream).ReadToEndAsync(Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
        await send;
        return reply;
    }

    private static async Task AssertEventuallyRefusedAsync(int port)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var tcp = new TcpClient();
            try
            {
                await tcp.ConnectAsync(IPAddress.Loopback, port, Token);
            }
            catch (SocketException)
            {
                return;
            }
            await Task.Delay(100, Token);
        }
        Assert.Fail($"Port {port} still accepts connections after cancel-tcpip-forward");
    }
}
