using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Connection;
using Custos.Ssh.Server;

namespace Custos.Ssh.Forwarding;

/// <summary>
/// An opt-in helper for hosts that want remote forwards served the usual way (RFC 4254 §7.1-§7.2): a TCP
/// listener per granted forward, one forwarded-tcpip channel per accepted connection, bytes bridged both
/// ways with back-pressure (<see cref="SocketChannelBridge"/>). The library never calls it by itself.
/// </summary>
public static class RemoteForwardListener
{
    /// <summary>
    /// Binds <paramref name="listenAddress"/> on the requested port (0 = any free port) and grants the forward
    /// with the bound port, serving it until it is cancelled or the connection ends. A failed bind refuses.
    /// Where to listen is the host's decision: the client's requested address is only a name here.
    /// </summary>
    public static RemoteForwardDecision Grant(SshServerSession session, TcpipForwardRequest request, IPAddress listenAddress)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(listenAddress);
        if (request.PortToBind > IPEndPoint.MaxPort)
        {
            return RemoteForwardDecision.Refuse();
        }
        var listener = new TcpListener(listenAddress, (int)request.PortToBind);
        try
        {
            listener.Start();
        }
        catch (SocketException)
        {
            listener.Dispose();
            return RemoteForwardDecision.Refuse();
        }
        var port = (uint)((IPEndPoint)listener.LocalEndpoint).Port;
        return RemoteForwardDecision.Grant(port, (forward, token) => RunAsync(session, forward, listener, token));
    }

    /// <summary>Accepts connections on a started <paramref name="listener"/> until cancelled, then stops it; open bridges keep running.</summary>
    public static async Task RunAsync(SshServerSession session, RemoteForward forward, TcpListener listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(listener);
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                socket.NoDelay = true;
                _ = ServeAsync(session, forward, socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cancelled (cancel-tcpip-forward or end of connection), or the listener was closed.
        }
        finally
        {
            listener.Dispose();
        }
    }

    private static async Task ServeAsync(SshServerSession session, RemoteForward forward, Socket socket)
    {
        SshChannel channel;
        try
        {
            var originator = (IPEndPoint)socket.RemoteEndPoint!;
            channel = await session.OpenForwardedTcpipAsync(forward, originator.Address.ToString(), (uint)originator.Port, session.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshChannelOpenException or InvalidOperationException or OperationCanceledException or IOException
            or ObjectDisposedException or SocketException or Transport.SshProtocolException)
        {
            // Refused by the client, forward cancelled meanwhile, or connection gone: drop this TCP connection.
            socket.Dispose();
            return;
        }
        await SocketChannelBridge.RunAsync(channel, socket, session.ConnectionClosed).ConfigureAwait(false);
    }
}
