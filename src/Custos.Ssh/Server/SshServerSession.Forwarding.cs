using System.Collections.Concurrent;
using Custos.Ssh.Connection;
using Custos.Ssh.Forwarding;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Server;

/// <summary>
/// The server side of remote port forwarding (RFC 4254 §7.1-§7.2) and the other global requests. The host's
/// <see cref="SshServerOptions.RemoteForwardHandler"/> grants or refuses; the session remembers granted
/// forwards, opens forwarded-tcpip channels only for them, and cancels them on request or at the end.
/// </summary>
public sealed partial class SshServerSession
{
    private readonly ConcurrentDictionary<RemoteForward, CancellationTokenSource> _remoteForwards = new();

    /// <summary>Remote forwards currently granted to the client.</summary>
    public IReadOnlyCollection<RemoteForward> RemoteForwards => [.. _remoteForwards.Keys];

    /// <summary>
    /// Opens a forwarded-tcpip channel to the client for a connection that arrived on a granted forward
    /// (RFC 4254 §7.2); the channel works as any other (windows, back-pressure, EOF/CLOSE).
    /// </summary>
    /// <exception cref="InvalidOperationException">The forward was never granted or has been cancelled.</exception>
    public Task<SshChannel> OpenForwardedTcpipAsync(RemoteForward forward, string originatorAddress, uint originatorPort, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (!_remoteForwards.ContainsKey(forward))
        {
            throw new InvalidOperationException($"No remote forward {forward.BindAddress}:{forward.BoundPort} is granted on this connection");
        }
        var open = new ForwardedTcpipOpen(forward.BindAddress, forward.BoundPort, originatorAddress, originatorPort);
        return OpenChannelAsync(ForwardedTcpipOpen.TypeName, SshMessage.EncodeData(open), cancellationToken);
    }

    private protected override async ValueTask<GlobalRequestOutcome> DecideGlobalRequestAsync(GlobalRequestMessage request, CancellationToken cancellationToken)
    {
        switch (request.Name)
        {
            case "no-more-sessions@openssh.com":
                SshMessage.DecodeData<NoMoreSessionsRequest>(request.Data.Span);
                _noMoreSessions = true;
                return new GlobalRequestOutcome(true, []);
            case "tcpip-forward":
                return await OnTcpipForwardAsync(SshMessage.DecodeData<TcpipForwardRequest>(request.Data.Span), cancellationToken).ConfigureAwait(false);
            case "cancel-tcpip-forward":
                var cancel = SshMessage.DecodeData<CancelTcpipForwardRequest>(request.Data.Span);
                return new GlobalRequestOutcome(CancelRemoteForward(new RemoteForward(cancel.AddressToBind, cancel.PortToBind)), []);
            default:
                // keepalive@openssh.com and anything unknown: RFC 4254 §4 failure reply keeps the client happy.
                return GlobalRequestOutcome.Failure;
        }
    }

    private async ValueTask<GlobalRequestOutcome> OnTcpipForwardAsync(TcpipForwardRequest request, CancellationToken cancellationToken)
    {
        if (_options.RemoteForwardHandler is not { } handler || request.PortToBind > 65535
            || (request.PortToBind != 0 && _remoteForwards.ContainsKey(new RemoteForward(request.AddressToBind, request.PortToBind))))
        {
            return GlobalRequestOutcome.Failure;
        }
        RemoteForwardDecision decision;
        try
        {
            decision = await handler(this, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // A failing host handler refuses the forward; it never ends the connection.
            return GlobalRequestOutcome.Failure;
        }
        if (!decision.Granted)
        {
            return GlobalRequestOutcome.Failure;
        }
        // RFC 4254 §7.1: only a request for port 0 learns the port, in the reply; otherwise it is the one asked for.
        var bound = request.PortToBind != 0 ? request.PortToBind : decision.BoundPort;
        var forward = new RemoteForward(request.AddressToBind, bound);
        var lifetime = CancellationTokenSource.CreateLinkedTokenSource(ConnectionClosed);
        if (bound is 0 or > 65535 || !_remoteForwards.TryAdd(forward, lifetime))
        {
            // A handler that picked no usable port, or a port already forwarded: refuse, and stop what it started.
            await lifetime.CancelAsync().ConfigureAwait(false);
            StartForward(decision, forward, lifetime);
            return GlobalRequestOutcome.Failure;
        }
        var response = request.PortToBind == 0 ? SshMessage.EncodeData(new TcpipForwardReply(bound)) : [];
        return new GlobalRequestOutcome(true, response, () => StartForward(decision, forward, lifetime));
    }

    /// <summary>Starts the host's run task (even for a refused forward, with its token already cancelled, so it can clean up).</summary>
    private static void StartForward(RemoteForwardDecision decision, RemoteForward forward, CancellationTokenSource lifetime)
    {
        if (decision.Run is not { } run)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await run(forward, lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A failing forward ends itself, never the connection.
            }
        });
    }

    private bool CancelRemoteForward(RemoteForward forward)
    {
        if (!_remoteForwards.TryRemove(forward, out var lifetime))
        {
            return false;
        }
        lifetime.Cancel();
        return true;
    }
}
