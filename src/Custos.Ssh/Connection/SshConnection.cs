using System.Collections.Concurrent;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

/// <summary>
/// The connection protocol (RFC 4254) over an established transport, shared by both roles: the read loop,
/// a table of small message handlers, the channel table and global requests. The server and client
/// subclasses add user authentication in front of it.
/// </summary>
public abstract partial class SshConnection : IAsyncDisposable
{
    private readonly ConcurrentDictionary<uint, SshChannel> _channels = new();
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<SshChannel>> _pendingOpens = new();
    private readonly Queue<PendingGlobalReply> _pendingGlobalReplies = new();
    private readonly SemaphoreSlim _globalRequestLock = new(1, 1);
    private readonly Dictionary<byte, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>> _handlers = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextChannelId;
    private int _disposed;

    internal SshConnection(SshTransport transport)
    {
        Transport = transport;
        _handlers[MessageNumber.GlobalRequest] = OnGlobalRequestAsync;
        _handlers[MessageNumber.RequestSuccess] = (p, _) => OnGlobalReply(p, true);
        _handlers[MessageNumber.RequestFailure] = (p, _) => OnGlobalReply(p, false);
        _handlers[MessageNumber.ChannelOpen] = OnChannelOpenAsync;
        _handlers[MessageNumber.ChannelOpenConfirmation] = OnChannelOpenConfirmation;
        _handlers[MessageNumber.ChannelOpenFailure] = OnChannelOpenFailure;
        _handlers[MessageNumber.ChannelWindowAdjust] = OnWindowAdjust;
        _handlers[MessageNumber.ChannelData] = OnChannelData;
        _handlers[MessageNumber.ChannelExtendedData] = OnChannelExtendedData;
        _handlers[MessageNumber.ChannelEof] = OnChannelEof;
        _handlers[MessageNumber.ChannelClose] = OnChannelCloseAsync;
        _handlers[MessageNumber.ChannelRequest] = OnChannelRequest;
        _handlers[MessageNumber.ChannelSuccess] = (p, _) => OnChannelReply(p, true);
        _handlers[MessageNumber.ChannelFailure] = (p, _) => OnChannelReply(p, false);
    }

    internal SshTransport Transport { get; }

    /// <summary>Completes when the connection has ended, faulted with the protocol error if there was one.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Cancelled when the connection ends; handlers should observe it.</summary>
    public CancellationToken ConnectionClosed => _lifetime.Token;

    /// <summary>Open channels.</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Number of completed key exchanges (1 after the handshake).</summary>
    public int KeyExchangeCount => Transport.KeyExchangeCount;

    /// <summary>Whether the connection protocol is open for channel and global messages.</summary>
    protected internal bool ConnectionProtocolActive { get; set; }

    /// <summary>Handles a message the connection protocol does not own (authentication); false if unknown.</summary>
    private protected virtual ValueTask<bool> HandleOtherAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    /// <summary>Decides about a channel the peer opens. The default refuses.</summary>
    private protected virtual ValueTask<ChannelOpenDecision> DecideChannelOpenAsync(SshChannelOpenRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "Channels are not accepted"));

    /// <summary>
    /// Answers a global request the peer sends (RFC 4254 §4). Runs on the read loop, so replies keep request
    /// order; <see cref="GlobalRequestOutcome.AfterReply"/> runs once the reply is on its way. The default refuses.
    /// </summary>
    private protected virtual ValueTask<GlobalRequestOutcome> DecideGlobalRequestAsync(GlobalRequestMessage request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GlobalRequestOutcome.Failure);

    /// <summary>Runs the read loop until the peer disconnects or a protocol error occurs.</summary>
    private protected async Task RunAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (true)
            {
                var payload = await Transport.ReceiveAsync(token).ConfigureAwait(false);
                if (payload.IsEmpty)
                {
                    break;
                }
                await DispatchAsync(payload, token).ConfigureAwait(false);
            }
            _completion.TrySetResult();
        }
        catch (SshProtocolException e)
        {
            if (!e.FromPeer)
            {
                await Transport.DisconnectAsync(e.Reason, e.Message).ConfigureAwait(false);
            }
            if (e.FromPeer && e.Reason is DisconnectReason.ByApplication or DisconnectReason.ConnectionLost)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(e);
            }
        }
        catch (SshFormatException e)
        {
            await Transport.DisconnectAsync(DisconnectReason.ProtocolError, "Malformed message").ConfigureAwait(false);
            _completion.TrySetException(new SshProtocolException(DisconnectReason.ProtocolError, "Malformed message: " + e.Message, e));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            _completion.TrySetResult();
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Test and fuzzing hook: handles one decrypted payload as the read loop would.</summary>
    internal ValueTask DispatchForTestAsync(ReadOnlyMemory<byte> payload) => DispatchAsync(payload, CancellationToken.None);

    private async ValueTask DispatchAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var number = payload.Span[0];
        if (number >= MessageNumber.GlobalRequest && number <= 127)
        {
            if (!ConnectionProtocolActive)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, $"Connection message {number} before authentication");
            }
            if (_handlers.TryGetValue(number, out var handler))
            {
                await handler(payload, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        else if (await HandleOtherAsync(payload, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        await SendUnimplementedAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SendUnimplementedAsync(CancellationToken cancellationToken)
    {
        var unimplemented = SshMessage.Encode(new UnimplementedMessage(unchecked(Transport.ReceiveSequence - 1)));
        await Transport.SendFromReaderAsync(unimplemented, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends SSH_MSG_DISCONNECT and closes the connection.</summary>
    public async Task DisconnectAsync(DisconnectReason reason = DisconnectReason.ByApplication, string description = "Closed")
    {
        await Transport.DisconnectAsync(reason, description).ConfigureAwait(false);
        await ShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>Starts a key exchange now (RFC 4253 §9).</summary>
    public Task RekeyAsync(CancellationToken cancellationToken = default) => Transport.RequestRekeyAsync(cancellationToken);

    private async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (var channel in _channels.Values)
        {
            channel.Abort();
        }
        foreach (var open in _pendingOpens.Values)
        {
            open.TrySetException(new SshChannelOpenException(ChannelOpenFailureReason.ConnectFailed, "Connection closed"));
        }
        lock (_pendingGlobalReplies)
        {
            while (_pendingGlobalReplies.TryDequeue(out var reply))
            {
                reply.Completion.TrySetResult((false, []));
            }
        }
        await Transport.DisposeAsync().ConfigureAwait(false);
        _completion.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    internal void ReleaseChannel(SshChannel channel) => _channels.TryRemove(channel.LocalId, out _);

    private protected uint AllocateChannelId() => Interlocked.Increment(ref _nextChannelId) - 1;

    private protected SshChannel Lookup(uint localId) =>
        _channels.TryGetValue(localId, out var channel)
            ? channel
            : throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unknown channel {localId}");

    private protected void Register(SshChannel channel) => _channels[channel.LocalId] = channel;
}

/// <summary>The answer to a peer's global request; <see cref="AfterReply"/> runs after the reply was sent (or queued).</summary>
internal readonly record struct GlobalRequestOutcome(bool Success, byte[] Response, Action? AfterReply = null)
{
    public static GlobalRequestOutcome Failure => new(false, []);
}

/// <summary>A global request of ours awaiting its reply; <see cref="OnReply"/> runs on the read loop before the next message is handled.</summary>
internal sealed record PendingGlobalReply(TaskCompletionSource<(bool, byte[])> Completion, Action<bool, byte[]>? OnReply);
