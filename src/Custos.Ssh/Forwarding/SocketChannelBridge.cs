using System.Net.Sockets;
using Custos.Ssh.Connection;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Forwarding;

/// <summary>
/// Copies bytes both ways between a TCP socket and a tcpip channel (direct-tcpip or forwarded-tcpip,
/// RFC 4254 §7). Back-pressure holds in both directions: the socket is read only when the channel's window
/// has room, and channel window is granted back only after the bytes were written to the socket. A TCP
/// half-close becomes CHANNEL_EOF and the other way round; the channel is closed and the socket disposed at the end.
/// </summary>
public static class SocketChannelBridge
{
    public static async Task RunAsync(SshChannel channel, Socket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(socket);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var toChannel = SocketToChannelAsync(socket, channel, stop.Token);
            var toSocket = ChannelToSocketAsync(channel, socket, stop.Token);
            // If either direction fails, or the channel is closed, the other has nothing left to do.
            var first = await Task.WhenAny(toChannel, toSocket).ConfigureAwait(false);
            if (!await first.ConfigureAwait(false))
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
            await Task.WhenAll(Quietly(toChannel), Quietly(toSocket)).ConfigureAwait(false);
        }
        finally
        {
            socket.Dispose();
            try
            {
                await channel.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (IsEndOfStream(e))
            {
                // The connection is already gone.
            }
        }
    }

    /// <summary>Returns true when the socket reached a clean end of stream (EOF sent on the channel).</summary>
    private static async Task<bool> SocketToChannelAsync(Socket socket, SshChannel channel, CancellationToken cancellationToken)
    {
        var buffer = new byte[SshChannel.DefaultMaxPacketSize];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    await channel.SendEofAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                }
                // Waits for window space: the socket is not read again until the peer can take more.
                await channel.SendDataAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsEndOfStream(e))
        {
            return false;
        }
    }

    /// <summary>Returns true when the channel sent EOF (the socket's sending side is shut down).</summary>
    private static async Task<bool> ChannelToSocketAsync(SshChannel channel, Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                switch (message)
                {
                    case SshChannelData { ExtendedType: null } data:
                        await socket.SendAsync(data.Data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                        break;
                    case SshChannelEof:
                        socket.Shutdown(SocketShutdown.Send);
                        return true;
                    case SshChannelRequest request:
                        await request.ReplyAsync(false).ConfigureAwait(false);
                        break;
                }
            }
            return false; // closed by the peer without EOF
        }
        catch (Exception e) when (IsEndOfStream(e))
        {
            return false;
        }
    }

    private static async Task Quietly(Task<bool> task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (IsEndOfStream(e))
        {
            // Already reported through the other direction.
        }
    }

    private static bool IsEndOfStream(Exception e) =>
        e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or SshProtocolException;
}
