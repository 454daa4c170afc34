using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

/// <summary>RFC 4254 §5 channel message handlers and §4 global requests.</summary>
public abstract partial class SshConnection
{
    /// <summary>Opens a channel (RFC 4254 §5.1) and waits for the peer's confirmation.</summary>
    public async Task<SshChannel> OpenChannelAsync(string type, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        var channel = new SshChannel(this, AllocateChannelId(), type);
        var pending = new TaskCompletionSource<SshChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingOpens[channel.LocalId] = pending;
        var open = new ChannelOpenMessage(type, channel.LocalId, SshChannel.DefaultWindowSize, SshChannel.DefaultMaxPacketSize, payload);
        Register(channel);
        await Transport.SendAsync(SshMessage.Encode(open), cancellationToken).ConfigureAwait(false);
        try
        {
            return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pendingOpens.TryRemove(channel.LocalId, out _);
            ReleaseChannel(channel);
            throw;
        }
    }

    /// <summary>Sends a global request (RFC 4254 §4); with a reply wanted, returns the outcome and response data.</summary>
    public Task<(bool Success, byte[] Response)> SendGlobalRequestAsync(string name, ReadOnlyMemory<byte> payload, bool wantReply, CancellationToken cancellationToken = default) =>
        SendGlobalRequestAsync(name, payload, wantReply, onReply: null, cancellationToken);

    /// <summary>
    /// As the public overload; <paramref name="onReply"/> runs on the read loop when the reply arrives, before any
    /// later message is handled (so state the reply creates exists before the peer can rely on it).
    /// </summary>
    private protected async Task<(bool Success, byte[] Response)> SendGlobalRequestAsync(string name, ReadOnlyMemory<byte> payload, bool wantReply,
        Action<bool, byte[]>? onReply, CancellationToken cancellationToken)
    {
        var message = SshMessage.Encode(new GlobalRequestMessage(name, wantReply, payload));
        TaskCompletionSource<(bool, byte[])>? reply = null;
        // RFC 4254 §4 matches replies to requests by order: enqueue and send under one lock so the queue order is the wire order.
        await _globalRequestLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (wantReply)
            {
                reply = new TaskCompletionSource<(bool, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_pendingGlobalReplies)
                {
                    _pendingGlobalReplies.Enqueue(new PendingGlobalReply(reply, onReply));
                }
            }
            await Transport.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _globalRequestLock.Release();
        }
        return reply is null ? (true, []) : await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnGlobalRequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var request = SshMessage.Decode<GlobalRequestMessage>(payload.Span);
        var outcome = await DecideGlobalRequestAsync(request, cancellationToken).ConfigureAwait(false);
        if (request.WantReply)
        {
            // RFC 4254 §4: replies go out in request order; the read loop handles one request at a time.
            var reply = outcome.Success
                ? SshMessage.Encode(new RequestSuccessMessage(outcome.Response))
                : SshMessage.Encode(new RequestFailureMessage());
            await Transport.SendFromReaderAsync(reply, cancellationToken).ConfigureAwait(false);
        }
        outcome.AfterReply?.Invoke();
    }

    private ValueTask OnGlobalReply(ReadOnlyMemory<byte> payload, bool success)
    {
        var data = success ? SshMessage.Decode<RequestSuccessMessage>(payload.Span).Data.ToArray() : [];
        if (!success)
        {
            SshMessage.Decode<RequestFailureMessage>(payload.Span);
        }
        PendingGlobalReply? reply;
        lock (_pendingGlobalReplies)
        {
            _pendingGlobalReplies.TryDequeue(out reply);
        }
        if (reply is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Global request reply without a request");
        }
        reply.OnReply?.Invoke(success, data);
        reply.Completion.TrySetResult((success, data));
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnChannelOpenAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var open = SshMessage.Decode<ChannelOpenMessage>(payload.Span);
        var request = new SshChannelOpenRequest(open.ChannelType, open.Data);
        var decision = await DecideChannelOpenAsync(request, cancellationToken).ConfigureAwait(false);
        if (decision.Run is null)
        {
            var failure = new ChannelOpenFailureMessage(open.SenderChannel, decision.Reason, decision.Message, "");
            await Transport.SendFromReaderAsync(SshMessage.Encode(failure), cancellationToken).ConfigureAwait(false);
            return;
        }
        var channel = new SshChannel(this, AllocateChannelId(), open.ChannelType);
        channel.Confirm(open.SenderChannel, open.InitialWindowSize, open.MaximumPacketSize);
        Register(channel);
        var confirmation = new ChannelOpenConfirmationMessage(open.SenderChannel, channel.LocalId, SshChannel.DefaultWindowSize, SshChannel.DefaultMaxPacketSize, default);
        await Transport.SendFromReaderAsync(SshMessage.Encode(confirmation), cancellationToken).ConfigureAwait(false);
        _ = RunChannelAsync(channel, decision.Run);
    }

    private async Task RunChannelAsync(SshChannel channel, Func<SshChannel, CancellationToken, Task> run)
    {
        try
        {
            await Task.Yield();
            await run(channel, ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing handler closes its channel, never the connection.
        }
        try
        {
            await channel.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SshProtocolException)
        {
            channel.Abort();
        }
    }

    private ValueTask OnChannelOpenConfirmation(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var confirmation = SshMessage.Decode<ChannelOpenConfirmationMessage>(payload.Span);
        if (!_pendingOpens.TryRemove(confirmation.RecipientChannel, out var pending))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Confirmation for unknown channel {confirmation.RecipientChannel}");
        }
        var channel = Lookup(confirmation.RecipientChannel);
        channel.Confirm(confirmation.SenderChannel, confirmation.InitialWindowSize, confirmation.MaximumPacketSize);
        pending.TrySetResult(channel);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelOpenFailure(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var failure = SshMessage.Decode<ChannelOpenFailureMessage>(payload.Span);
        if (!_pendingOpens.TryRemove(failure.RecipientChannel, out var pending))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Open failure for unknown channel {failure.RecipientChannel}");
        }
        ReleaseChannel(Lookup(failure.RecipientChannel));
        pending.TrySetException(new SshChannelOpenException(failure.Reason, failure.Description));
        return ValueTask.CompletedTask;
    }

    private ValueTask OnWindowAdjust(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var adjust = SshMessage.Decode<ChannelWindowAdjustMessage>(payload.Span);
        Lookup(adjust.RecipientChannel).OnWindowAdjust(adjust.BytesToAdd);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelData(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var data = SshMessage.Decode<ChannelDataMessage>(payload.Span);
        Lookup(data.RecipientChannel).OnData(data.Data, null);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelExtendedData(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var data = SshMessage.Decode<ChannelExtendedDataMessage>(payload.Span);
        Lookup(data.RecipientChannel).OnData(data.Data, data.DataType);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelEof(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Lookup(SshMessage.Decode<ChannelEofMessage>(payload.Span).RecipientChannel).OnEof();
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnChannelCloseAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var channel = Lookup(SshMessage.Decode<ChannelCloseMessage>(payload.Span).RecipientChannel);
        await channel.OnCloseAsync().ConfigureAwait(false);
    }

    private ValueTask OnChannelRequest(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var request = SshMessage.Decode<ChannelRequestMessage>(payload.Span);
        var channel = Lookup(request.RecipientChannel);
        channel.OnRequest(new SshChannelRequest(request.RequestType, request.WantReply, request.Data)
        {
            Reply = success => SendChannelReplyAsync(channel, success),
        });
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendChannelReplyAsync(SshChannel channel, bool success)
    {
        var reply = success
            ? SshMessage.Encode(new ChannelSuccessMessage(channel.RemoteId))
            : SshMessage.Encode(new ChannelFailureMessage(channel.RemoteId));
        await Transport.SendAsync(reply, ConnectionClosed).ConfigureAwait(false);
    }

    private ValueTask OnChannelReply(ReadOnlyMemory<byte> payload, bool success)
    {
        var recipient = success
            ? SshMessage.Decode<ChannelSuccessMessage>(payload.Span).RecipientChannel
            : SshMessage.Decode<ChannelFailureMessage>(payload.Span).RecipientChannel;
        Lookup(recipient).OnRequestReply(success);
        return ValueTask.CompletedTask;
    }
}
