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
        var writer = new SshWriter();
        writer.WriteByte(MessageNumber.ChannelOpen);
        writer.WriteUtf8String(type);
        writer.WriteUInt32(channel.LocalId);
        writer.WriteUInt32(SshChannel.DefaultWindowSize);
        writer.WriteUInt32(SshChannel.DefaultMaxPacketSize);
        writer.WriteRaw(payload.Span);
        Register(channel);
        await Transport.SendAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
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
    public async Task<(bool Success, byte[] Response)> SendGlobalRequestAsync(string name, ReadOnlyMemory<byte> payload, bool wantReply, CancellationToken cancellationToken = default)
    {
        var writer = new SshWriter();
        writer.WriteByte(MessageNumber.GlobalRequest);
        writer.WriteUtf8String(name);
        writer.WriteBoolean(wantReply);
        writer.WriteRaw(payload.Span);
        TaskCompletionSource<(bool, byte[])>? reply = null;
        if (wantReply)
        {
            reply = new TaskCompletionSource<(bool, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pendingGlobalReplies)
            {
                _pendingGlobalReplies.Enqueue(reply);
            }
        }
        await Transport.SendAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return reply is null ? (true, []) : await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnGlobalRequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var name = reader.ReadUtf8String();
        var wantReply = reader.ReadBoolean();
        var (success, response) = DecideGlobalRequest(name, reader.RemainingSpan);
        if (wantReply)
        {
            var writer = new SshWriter();
            writer.WriteByte(success ? MessageNumber.RequestSuccess : MessageNumber.RequestFailure);
            if (success)
            {
                writer.WriteRaw(response);
            }
            await Transport.SendFromReaderAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask OnGlobalReply(ReadOnlyMemory<byte> payload, bool success)
    {
        TaskCompletionSource<(bool, byte[])>? reply;
        lock (_pendingGlobalReplies)
        {
            _pendingGlobalReplies.TryDequeue(out reply);
        }
        if (reply is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Global request reply without a request");
        }
        reply.TrySetResult((success, payload.Span[1..].ToArray()));
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnChannelOpenAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var type = reader.ReadUtf8String();
        var senderId = reader.ReadUInt32();
        var window = reader.ReadUInt32();
        var maxPacket = reader.ReadUInt32();
        var request = new SshChannelOpenRequest(type, reader.RemainingSpan.ToArray());
        var decision = await DecideChannelOpenAsync(request, cancellationToken).ConfigureAwait(false);
        var writer = new SshWriter();
        if (decision.Run is null)
        {
            writer.WriteByte(MessageNumber.ChannelOpenFailure);
            writer.WriteUInt32(senderId);
            writer.WriteUInt32((uint)decision.Reason);
            writer.WriteUtf8String(decision.Message);
            writer.WriteUtf8String("");
            await Transport.SendFromReaderAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            return;
        }
        var channel = new SshChannel(this, AllocateChannelId(), type);
        channel.Confirm(senderId, window, maxPacket);
        Register(channel);
        writer.WriteByte(MessageNumber.ChannelOpenConfirmation);
        writer.WriteUInt32(senderId);
        writer.WriteUInt32(channel.LocalId);
        writer.WriteUInt32(SshChannel.DefaultWindowSize);
        writer.WriteUInt32(SshChannel.DefaultMaxPacketSize);
        await Transport.SendFromReaderAsync(writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
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
        var reader = new SshReader(payload.Span[1..]);
        var localId = reader.ReadUInt32();
        var remoteId = reader.ReadUInt32();
        var window = reader.ReadUInt32();
        var maxPacket = reader.ReadUInt32();
        if (!_pendingOpens.TryRemove(localId, out var pending))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Confirmation for unknown channel {localId}");
        }
        var channel = Lookup(localId);
        channel.Confirm(remoteId, window, maxPacket);
        pending.TrySetResult(channel);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelOpenFailure(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var localId = reader.ReadUInt32();
        var reason = (ChannelOpenFailureReason)reader.ReadUInt32();
        var description = reader.ReadUtf8String();
        if (!_pendingOpens.TryRemove(localId, out var pending))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Open failure for unknown channel {localId}");
        }
        ReleaseChannel(Lookup(localId));
        pending.TrySetException(new SshChannelOpenException(reason, description));
        return ValueTask.CompletedTask;
    }

    private ValueTask OnWindowAdjust(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        var bytes = reader.ReadUInt32();
        reader.EnsureEnd("window adjust");
        channel.OnWindowAdjust(bytes);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelData(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        var data = reader.ReadString();
        reader.EnsureEnd("channel data");
        channel.OnData(data, null);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelExtendedData(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        var type = reader.ReadUInt32();
        var data = reader.ReadString();
        reader.EnsureEnd("channel extended data");
        channel.OnData(data, type);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnChannelEof(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        reader.EnsureEnd("channel EOF");
        channel.OnEof();
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnChannelCloseAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        reader.EnsureEnd("channel close");
        await channel.OnCloseAsync().ConfigureAwait(false);
    }

    private ValueTask OnChannelRequest(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        var type = reader.ReadUtf8String();
        var wantReply = reader.ReadBoolean();
        var data = reader.RemainingSpan.ToArray();
        channel.OnRequest(new SshChannelRequest(type, wantReply, data)
        {
            Reply = success => SendChannelReplyAsync(channel, success),
        });
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendChannelReplyAsync(SshChannel channel, bool success)
    {
        var writer = new SshWriter(8);
        writer.WriteByte(success ? MessageNumber.ChannelSuccess : MessageNumber.ChannelFailure);
        writer.WriteUInt32(channel.RemoteId);
        await Transport.SendAsync(writer.WrittenMemory, ConnectionClosed).ConfigureAwait(false);
    }

    private ValueTask OnChannelReply(ReadOnlyMemory<byte> payload, bool success)
    {
        var reader = new SshReader(payload.Span[1..]);
        var channel = Lookup(reader.ReadUInt32());
        reader.EnsureEnd("channel reply");
        channel.OnRequestReply(success);
        return ValueTask.CompletedTask;
    }
}
