using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Client;
using Custos.Ssh.Connection;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Connection;

/// <summary>Runs alone, so that connection counts and heap size are not disturbed by other test classes.</summary>
[CollectionDefinition(nameof(ResourceBaselines), DisableParallelization = true)]
public sealed class ResourceBaselines;

/// <summary>Malformed packets, bad MACs, oversized lengths, unknown channels and window violations end the connection with the right reason.</summary>
[Collection(nameof(ResourceBaselines))]
public sealed class HostileInputTests : IAsyncLifetime
{
    private OurServer _server = null!;
    private Custos.Ssh.Keys.SshPrivateKey _userKey = null!;

    public ValueTask InitializeAsync()
    {
        _server = new OurServer(configure: options => options with
        {
            ChannelHandler = (session, request, token) => ValueTask.FromResult(request.ChannelType == "session"
                ? ChannelOpenDecision.Accept((channel, ct) => Task.Delay(Timeout.Infinite, ct))
                : ChannelOpenDecision.Refuse(ChannelOpenFailureReason.UnknownChannelType, "no")),
        });
        _userKey = Custos.Ssh.Keys.SshPrivateKey.Generate();
        _server.Authenticator.Allow(_userKey.PublicKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _userKey.Dispose();
        await _server.DisposeAsync();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void An_oversized_packet_length_is_a_protocol_error()
    {
        using var peer = new RawSshPeer(_server.Port);
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1_000_000);
        peer.SendRaw(header);

        Assert.Equal(DisconnectReason.ProtocolError, peer.ReceiveDisconnect());
    }

    [Fact]
    public void Padding_shorter_than_four_bytes_is_a_protocol_error()
    {
        using var peer = new RawSshPeer(_server.Port);
        // packet_length 12, padding_length 2: length field + 12 is a multiple of 8 but the padding is too short.
        byte[] packet = [0, 0, 0, 12, 2, MessageNumber.Ignore, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0];
        peer.SendRaw(packet);

        Assert.Equal(DisconnectReason.ProtocolError, peer.ReceiveDisconnect());
    }

    [Fact]
    public void Garbage_instead_of_an_identification_string_is_refused()
    {
        using var tcp = new TcpClient();
        tcp.Connect(IPAddress.Loopback, _server.Port);
        var stream = tcp.GetStream();
        stream.Write(new byte[300]);
        stream.ReadTimeout = 10_000;
        var buffer = new byte[4096];
        var total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += read;
        }
        Assert.True(total > 0);
    }

    [Fact]
    public async Task A_corrupted_packet_is_a_MAC_error()
    {
        var (client, tamper) = await ConnectAuthenticatedAsync();
        await using (client)
        {
            tamper.CorruptNextWrite = true;
            await client.SendGlobalRequestAsync("keepalive@openssh.com", default, wantReply: false, Token);

            var error = await Assert.ThrowsAsync<SshProtocolException>(() => client.Completion.WaitAsync(TimeSpan.FromSeconds(10), Token));
            Assert.Equal(DisconnectReason.MacError, error.Reason);
            Assert.True(error.FromPeer);
        }
    }

    [Fact]
    public async Task Data_for_an_unknown_channel_is_a_protocol_error()
    {
        var (client, _) = await ConnectAuthenticatedAsync();
        await using (client)
        {
            var writer = new SshWriter();
            writer.WriteByte(MessageNumber.ChannelData);
            writer.WriteUInt32(999);
            writer.WriteString("stray"u8);
            await client.Transport.SendAsync(writer.WrittenMemory, Token);

            var error = await Assert.ThrowsAsync<SshProtocolException>(() => client.Completion.WaitAsync(TimeSpan.FromSeconds(10), Token));
            Assert.Equal(DisconnectReason.ProtocolError, error.Reason);
        }
    }

    [Fact]
    public async Task Data_beyond_the_window_is_a_protocol_error()
    {
        var (client, _) = await ConnectAuthenticatedAsync();
        await using (client)
        {
            var channel = await client.OpenSessionAsync(Token);
            var chunk = new byte[SshChannel.DefaultMaxPacketSize];
            for (var sent = 0L; sent <= SshChannel.DefaultWindowSize; sent += chunk.Length)
            {
                var writer = new SshWriter();
                writer.WriteByte(MessageNumber.ChannelData);
                writer.WriteUInt32(channel.RemoteId);
                writer.WriteString(chunk);
                try
                {
                    await client.Transport.SendAsync(writer.WrittenMemory, Token);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    break;
                }
            }

            var error = await Assert.ThrowsAsync<SshProtocolException>(() => client.Completion.WaitAsync(TimeSpan.FromSeconds(10), Token));
            Assert.Equal(DisconnectReason.ProtocolError, error.Reason);
        }
    }

    [Fact]
    public async Task A_connection_message_before_authentication_is_a_protocol_error()
    {
        var tamper = await ConnectRawAsync();
        var client = await SshClientSession.ConnectAsync(tamper, Options(), Token);
        await using (client)
        {
            var writer = new SshWriter();
            writer.WriteByte(MessageNumber.GlobalRequest);
            writer.WriteUtf8String("keepalive@openssh.com");
            writer.WriteBoolean(true);
            await client.Transport.SendAsync(writer.WrittenMemory, Token);

            var error = await Assert.ThrowsAsync<SshProtocolException>(async () => await client.Transport.ReceiveAsync(Token));
            Assert.Equal(DisconnectReason.ProtocolError, error.Reason);
        }
    }

    [Fact]
    public async Task A_thousand_hostile_connections_leave_no_connection_behind()
    {
        byte[][] attacks =
        [
            "SSH-2.0-x\r\n\0\0\0\0"u8.ToArray(),
            "SSH-2.0-x\r\n\xff\xff\xff\xff"u8.ToArray(),
            "GET / HTTP/1.1\r\n\r\n"u8.ToArray(),
            [.. "SSH-2.0-x\r\n"u8, 0, 0, 0, 12, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ];
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var hangs = new System.Collections.Concurrent.ConcurrentBag<int>();
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Token }, async (i, ct) =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, _server.Port, ct);
            var stream = tcp.GetStream();
            try
            {
                await stream.WriteAsync(attacks[i % attacks.Length], ct);
                var buffer = new byte[2048];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                hangs.Add(i % attacks.Length);
            }
        });
        Assert.Empty(hangs);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((_server.Server.ActiveConnections > 0 || _server.Server.UnauthenticatedConnections > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }
        Assert.Equal(0, _server.Server.ActiveConnections);
        Assert.Equal(0, _server.Server.UnauthenticatedConnections);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - baseline < 32L * 1024 * 1024, $"memory grew by {(after - baseline) / 1024} KiB");
    }

    private SshClientOptions Options() => new() { HostKeyVerifier = new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey) };

    private async Task<TamperingStream> ConnectRawAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _server.Port, Token);
        return new TamperingStream(new NetworkStream(socket, ownsSocket: true));
    }

    private async Task<(SshClientSession Client, TamperingStream Tamper)> ConnectAuthenticatedAsync()
    {
        var tamper = await ConnectRawAsync();
        var client = await SshClientSession.ConnectAsync(tamper, Options(), Token);
        Assert.True(await client.AuthenticateWithKeyAsync("tester", _userKey, cancellationToken: Token));
        return (client, tamper);
    }
}
