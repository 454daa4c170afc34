using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Server;

/// <summary>
/// A TCP listener that runs an <see cref="SshServerSession"/> per connection and caps the connections
/// that have not yet authenticated (OpenSSH MaxStartups): over the cap, new connections are closed at once.
/// Hosts such as the gateway may instead call <see cref="SshServerSession.AcceptAsync"/> on their own streams.
/// </summary>
public sealed class SshServer : IAsyncDisposable
{
    private readonly SshServerOptions _options;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _connections = [];
    private int _unauthenticated;
    private int _active;
    private Task? _acceptLoop;

    public SshServer(SshServerOptions options, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _listener = new TcpListener(endPoint);
    }

    /// <summary>Raised for each session once its handshake completed.</summary>
    public event Action<SshServerSession>? SessionStarted;

    /// <summary>Raised when a connection ends with a protocol error (for diagnostics and tests).</summary>
    public event Action<Exception>? SessionFailed;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int UnauthenticatedConnections => Volatile.Read(ref _unauthenticated);

    public int ActiveConnections => Volatile.Read(ref _active);

    public void Start()
    {
        _listener.Start(512);
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Interlocked.Increment(ref _unauthenticated) > _options.MaxUnauthenticatedConnections)
            {
                Interlocked.Decrement(ref _unauthenticated);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            var task = ServeAsync(socket, cancellationToken);
            lock (_connections)
            {
                _connections.Add(task);
            }
            _ = task.ContinueWith(t => { lock (_connections) { _connections.Remove(t); } }, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _active);
        var counted = 1;
        try
        {
            await Task.Yield();
            var stream = new NetworkStream(socket, ownsSocket: true);
            await using (stream.ConfigureAwait(false))
            {
                var session = await SshServerSession.AcceptAsync(stream, _options, socket.RemoteEndPoint, s => SessionStarted?.Invoke(s), cancellationToken).ConfigureAwait(false);
                await using (session.ConfigureAwait(false))
                {
                    _ = session.Authenticated.ContinueWith(_ =>
                    {
                        if (Interlocked.Exchange(ref counted, 0) == 1)
                        {
                            Interlocked.Decrement(ref _unauthenticated);
                        }
                    }, TaskScheduler.Default);
                    using var registration = cancellationToken.Register(() => _ = session.DisconnectAsync(DisconnectReason.ByApplication, "Server shutting down"));
                    await session.Completion.ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SshProtocolException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            SessionFailed?.Invoke(e);
        }
        finally
        {
            if (Interlocked.Exchange(ref counted, 0) == 1)
            {
                Interlocked.Decrement(ref _unauthenticated);
            }
            Interlocked.Decrement(ref _active);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections];
        }
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
