using System.Collections.Concurrent;
using Custos.Ssh.Connection;
using Custos.Ssh.Forwarding;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Client;

/// <summary>
/// The client side of remote port forwarding (RFC 4254 §7.1-§7.2): ask the server to listen, accept the
/// forwarded-tcpip channels it opens for granted forwards through <see cref="SshClientOptions.ForwardedTcpipHandler"/>,
/// refuse every other forwarded-tcpip channel, and cancel.
/// </summary>
public sealed partial class SshClientSession
{
    private readonly ConcurrentDictionary<RemoteForward, byte> _remoteForwards = new();

    /// <summary>Remote forwards the server granted and that were not cancelled.</summary>
    public IReadOnlyCollection<RemoteForward> RemoteForwards => [.. _remoteForwards.Keys];

    /// <summary>
    /// Sends tcpip-forward for <paramref name="bindAddress"/>:<paramref name="port"/> (0 lets the server pick)
    /// and returns the granted forward with the bound port, or null if the server refused.
    /// </summary>
    public async Task<RemoteForward?> RequestRemoteForwardAsync(string bindAddress, uint port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bindAddress);
        RemoteForward? granted = null;
        var request = SshMessage.EncodeData(new TcpipForwardRequest(bindAddress, port));
        // The forward is registered on the read loop as the reply arrives, before the server's first
        // forwarded-tcpip open on it can be handled.
        await SendGlobalRequestAsync(TcpipForwardRequest.TypeName, request, wantReply: true, (success, response) =>
        {
            if (!success)
            {
                return;
            }
            var bound = port == 0 ? SshMessage.DecodeData<TcpipForwardReply>(response).BoundPort : port;
            granted = new RemoteForward(bindAddress, bound);
            _remoteForwards[granted] = 0;
        }, cancellationToken).ConfigureAwait(false);
        return granted;
    }

    /// <summary>
    /// Sends cancel-tcpip-forward (RFC 4254 §7.1); from now on forwarded-tcpip channels for it are refused.
    /// Returns whether the server confirmed.
    /// </summary>
    public async Task<bool> CancelRemoteForwardAsync(RemoteForward forward, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        _remoteForwards.TryRemove(forward, out _);
        var request = SshMessage.EncodeData(new CancelTcpipForwardRequest(forward.BindAddress, forward.BoundPort));
        var (success, _) = await SendGlobalRequestAsync(CancelTcpipForwardRequest.TypeName, request, wantReply: true, cancellationToken).ConfigureAwait(false);
        return success;
    }

    private protected override ValueTask<ChannelOpenDecision> DecideChannelOpenAsync(SshChannelOpenRequest request, CancellationToken cancellationToken)
    {
        if (request.ChannelType != ForwardedTcpipOpen.TypeName)
        {
            return ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.UnknownChannelType, $"Channel type '{Keys.SshPublicKey.Truncate(request.ChannelType)}' is not accepted"));
        }
        var open = request.ParseForwardedTcpip();
        var forward = new RemoteForward(open.ConnectedAddress, open.ConnectedPort);
        if (!_remoteForwards.ContainsKey(forward))
        {
            return ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "No such remote forward was granted"));
        }
        return _options.ForwardedTcpipHandler is { } handler
            ? handler(this, forward, open, cancellationToken)
            : ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "Forwarded connections are not accepted"));
    }
}
