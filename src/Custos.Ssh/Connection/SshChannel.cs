using System.Threading.Channels;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

/// <summary>
/// One RFC 4254 channel, the same in both roles. Inbound messages are read in order with
/// <see cref="ReceiveAsync"/>; window space is granted back to the peer only as data is consumed, so a
/// slow consumer slows the peer (back-pressure). Outbound data waits for the peer's window and is split
/// at its maximum packet size.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim without a wait handle holds no unmanaged resource.")]
public sealed class SshChannel
{
    /// <summary>Our receive window: the OpenSSH default of 2 MiB.</summary>
    public const uint DefaultWindowSize = 2 * 1024 * 1024;

    /// <summary>Largest data packet we accept and send.</summary>
    public const uint DefaultMaxPacketSize = 32 * 1024;

    private readonly SshConnection _connection;
    private readonly Channel<SshChannelMessage> _inbound = Channel.CreateUnbounded<SshChannelMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _windowLock = new();
    private readonly Queue<TaskCompletionSource<bool>> _pendingReplies = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _windowAvailable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _localWindow = DefaultWindowSize;
    private uint _consumedSinceAdjust;
    private long _remoteWindow;
    private bool _eofSent;
    private bool _closeSent;
    private int _closeSentFlag;
    private bool _closeReceived;
    private bool _eofReceived;

    internal SshChannel(SshConnection connection, uint localId, string type)
    {
        _connection = connection;
        LocalId = localId;
        ChannelType = type;
    }

    public string ChannelType { get; }
    public uint LocalId { get; }
    public uint RemoteId { get; private set; }
    public uint RemoteMaxPacket { get; private set; }

    /// <summary>Completes when both sides have sent CHANNEL_CLOSE or the connection ended.</summary>
    public Task Completion => _closed.Task;

    /// <summary>The connection the channel belongs to.</summary>
    public SshConnection Connection => _connection;

    internal void Confirm(uint remoteId, uint remoteWindow, uint remoteMaxPacket)
    {
        RemoteId = remoteId;
        _remoteWindow = remoteWindow;
        RemoteMaxPacket = Math.Max(1, remoteMaxPacket);
    }

    /// <summary>The next message from the peer, or null once the peer closed the channel.</summary>
    public async ValueTask<SshChannelMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_inbound.Reader.TryRead(out var message))
            {
                if (message is SshChannelData data)
                {
                    await ConsumedAsync((uint)data.Data.Length, cancellationToken).ConfigureAwait(false);
                }
                return message;
            }
        }
        return null;
    }

    /// <summary>Sends data (RFC 4254 §5.2), waiting for window space as needed.</summary>
    public ValueTask SendDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendDataCoreAsync(data, null, cancellationToken);

    /// <summary>Sends extended data; type 1 is stderr (RFC 4254 §5.2).</summary>
    public ValueTask SendExtendedDataAsync(uint type, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendDataCoreAsync(data, type, cancellationToken);

    private async ValueTask SendDataCoreAsync(ReadOnlyMemory<byte> data, uint? extendedType, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!data.IsEmpty)
            {
                if (_eofSent || _closeSent || _closeReceived)
                {
                    throw new InvalidOperationException("The channel no longer accepts data");
                }
                int chunk;
                Task wait;
                lock (_windowLock)
                {
                    chunk = (int)Math.Min(Math.Min(data.Length, _remoteWindow), Math.Min(RemoteMaxPacket, DefaultMaxPacketSize));
                    if (chunk > 0)
                    {
                        _remoteWindow -= chunk;
                    }
                    wait = _windowAvailable.Task;
                }
                if (chunk == 0)
                {
                    await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var writer = new SshWriter(chunk + 16);
                if (extendedType is { } type)
                {
                    SshMessage.WriteTo(new ChannelExtendedDataMessage(RemoteId, type, data[..chunk]), writer);
                }
                else
                {
                    SshMessage.WriteTo(new ChannelDataMessage(RemoteId, data[..chunk]), writer);
                }
                await _connection.Transport.SendAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                data = data[chunk..];
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a channel request (RFC 4254 §5.4); with a reply wanted, returns whether it succeeded.</summary>
    public async Task<bool> SendRequestAsync(string type, ReadOnlyMemory<byte> payload, bool wantReply, CancellationToken cancellationToken = default)
    {
        var request = SshMessage.Encode(new ChannelRequestMessage(RemoteId, type, wantReply, payload));
        TaskCompletionSource<bool>? reply = null;
        if (wantReply)
        {
            reply = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pendingReplies)
            {
                _pendingReplies.Enqueue(reply);
            }
        }
        await _connection.Transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return reply is null || await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends CHANNEL_EOF (RFC 4254 §5.3) once.</summary>
    public async ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_eofSent || _closeSent)
            {
                return;
            }
            _eofSent = true;
            await _connection.Transport.SendAsync(SshMessage.Encode(new ChannelEofMessage(RemoteId)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends CHANNEL_CLOSE (RFC 4254 §5.3) once; the channel completes when the peer's CLOSE arrives too.</summary>
    public ValueTask CloseAsync(CancellationToken cancellationToken = default) => CloseCoreAsync(fromReader: false, cancellationToken);

    private async ValueTask CloseCoreAsync(bool fromReader, CancellationToken cancellationToken)
    {
        // The read loop must not wait for the channel's send lock: a writer holding it may be waiting for
        // window space or the key exchange, which only the read loop can deliver.
        var locked = false;
        if (!fromReader)
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            locked = true;
        }
        try
        {
            if (Interlocked.Exchange(ref _closeSentFlag, 1) == 0)
            {
                _closeSent = true;
                var close = SshMessage.Encode(new ChannelCloseMessage(RemoteId));
                if (fromReader)
                {
                    await _connection.Transport.SendFromReaderAsync(close, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _connection.Transport.SendAsync(close, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SshProtocolException)
        {
            Abort();
        }
        finally
        {
            if (locked)
            {
                _sendLock.Release();
            }
        }
        if (_closeReceived)
        {
            Finish();
        }
    }

    private async ValueTask ConsumedAsync(uint count, CancellationToken cancellationToken)
    {
        uint adjust = 0;
        lock (_windowLock)
        {
            _consumedSinceAdjust += count;
            if (_consumedSinceAdjust >= DefaultWindowSize / 2 && !_closeReceived)
            {
                adjust = _consumedSinceAdjust;
                _consumedSinceAdjust = 0;
                _localWindow += adjust;
            }
        }
        if (adjust > 0 && !_closeSent)
        {
            var adjustment = SshMessage.Encode(new ChannelWindowAdjustMessage(RemoteId, adjust));
            await _connection.Transport.SendAsync(adjustment, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- called by the connection's read loop ----

    /// <summary>Takes ownership of <paramref name="data"/> (a copy made by the decoder).</summary>
    internal void OnData(ReadOnlyMemory<byte> data, uint? extendedType)
    {
        lock (_windowLock)
        {
            // RFC 4254 §5.2: the peer may not send more than the window allows, nor packets above our maximum.
            if (_eofReceived || (uint)data.Length > _localWindow || data.Length > DefaultMaxPacketSize)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, $"Channel {LocalId}: data exceeds the window or maximum packet size, or follows EOF");
            }
            _localWindow -= (uint)data.Length;
        }
        _inbound.Writer.TryWrite(new SshChannelData(data, extendedType));
    }

    internal void OnWindowAdjust(uint bytes)
    {
        lock (_windowLock)
        {
            // RFC 4254 §5.2: the window may not exceed 2^32 - 1.
            _remoteWindow = Math.Min(uint.MaxValue, _remoteWindow + bytes);
            var signal = _windowAvailable;
            _windowAvailable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal.TrySetResult();
        }
    }

    internal void OnEof()
    {
        _eofReceived = true;
        _inbound.Writer.TryWrite(SshChannelEof.Instance);
    }

    internal void OnRequest(SshChannelRequest request) => _inbound.Writer.TryWrite(request);

    internal void OnRequestReply(bool success)
    {
        TaskCompletionSource<bool>? reply;
        lock (_pendingReplies)
        {
            _pendingReplies.TryDequeue(out reply);
        }
        if (reply is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Channel {LocalId}: reply without a request");
        }
        reply.TrySetResult(success);
    }

    internal async ValueTask OnCloseAsync()
    {
        _closeReceived = true;
        _inbound.Writer.TryComplete();
        lock (_windowLock)
        {
            _windowAvailable.TrySetResult();
        }
        if (!_closeSent)
        {
            await CloseCoreAsync(fromReader: true, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            Finish();
        }
    }

    /// <summary>The connection ended: fail everything that waits on this channel.</summary>
    internal void Abort()
    {
        _closeReceived = true;
        _closeSent = true;
        _closeSentFlag = 1;
        _inbound.Writer.TryComplete();
        lock (_windowLock)
        {
            _windowAvailable.TrySetResult();
        }
        lock (_pendingReplies)
        {
            while (_pendingReplies.TryDequeue(out var reply))
            {
                reply.TrySetResult(false);
            }
        }
        Finish();
    }

    private void Finish()
    {
        _connection.ReleaseChannel(this);
        _closed.TrySetResult();
    }
}
