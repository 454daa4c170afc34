namespace Custos.Ssh.Connection;

/// <summary>Something the peer sent on a channel, delivered in the order it arrived (RFC 4254 §5).</summary>
public abstract record SshChannelMessage;

/// <summary>SSH_MSG_CHANNEL_DATA, or CHANNEL_EXTENDED_DATA when <see cref="ExtendedType"/> is set (1 = stderr).</summary>
public sealed record SshChannelData(ReadOnlyMemory<byte> Data, uint? ExtendedType = null) : SshChannelMessage;

/// <summary>SSH_MSG_CHANNEL_EOF: the peer will send no more data.</summary>
public sealed record SshChannelEof : SshChannelMessage
{
    public static readonly SshChannelEof Instance = new();
}

/// <summary>
/// SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4). <see cref="Payload"/> holds the type-specific bytes verbatim, so
/// a gateway can forward the request unchanged; the parse helpers in <see cref="SessionRequests"/> read them.
/// When <see cref="WantReply"/> is set the receiver must call <see cref="ReplyAsync"/> (replies go out in order).
/// </summary>
public sealed record SshChannelRequest(string Type, bool WantReply, ReadOnlyMemory<byte> Payload) : SshChannelMessage
{
    internal Func<bool, ValueTask>? Reply { get; init; }

    public ValueTask ReplyAsync(bool success) => WantReply && Reply is not null ? Reply(success) : ValueTask.CompletedTask;
}

/// <summary>RFC 4254 §5.1 reason codes for refusing a channel.</summary>
public enum ChannelOpenFailureReason : uint
{
    AdministrativelyProhibited = 1,
    ConnectFailed = 2,
    UnknownChannelType = 3,
    ResourceShortage = 4,
}

/// <summary>A refused SSH_MSG_CHANNEL_OPEN, as seen by the side that asked.</summary>
public sealed class SshChannelOpenException(ChannelOpenFailureReason reason, string message) : Exception(message)
{
    public SshChannelOpenException() : this(ChannelOpenFailureReason.ConnectFailed, "Channel open failed") { }
    public SshChannelOpenException(string message) : this(ChannelOpenFailureReason.ConnectFailed, message) { }
    public SshChannelOpenException(string message, Exception innerException) : this(ChannelOpenFailureReason.ConnectFailed, message + ": " + innerException.Message) { }

    public ChannelOpenFailureReason Reason { get; } = reason;
}

/// <summary>An incoming SSH_MSG_CHANNEL_OPEN: its type and type-specific bytes (verbatim, for forwarding).</summary>
public sealed record SshChannelOpenRequest(string ChannelType, ReadOnlyMemory<byte> Payload)
{
    /// <summary>For direct-tcpip (RFC 4254 §7.2): where to connect and who asked.</summary>
    public (string Host, uint Port, string OriginatorAddress, uint OriginatorPort) ParseDirectTcpip()
    {
        var open = Wire.SshMessage.DecodeData<DirectTcpipOpen>(Payload.Span);
        return (open.HostToConnect, open.PortToConnect, open.OriginatorAddress, open.OriginatorPort);
    }

    /// <summary>For forwarded-tcpip (RFC 4254 §7.2): which remote forward the connection arrived on, and from whom.</summary>
    public ForwardedTcpipOpen ParseForwardedTcpip() => Wire.SshMessage.DecodeData<ForwardedTcpipOpen>(Payload.Span);
}

/// <summary>The answer of a channel handler to <see cref="SshChannelOpenRequest"/>.</summary>
public sealed record ChannelOpenDecision
{
    private ChannelOpenDecision() { }

    /// <summary>Runs after the channel is confirmed; the channel is closed when it completes.</summary>
    public Func<SshChannel, CancellationToken, Task>? Run { get; private init; }
    public ChannelOpenFailureReason Reason { get; private init; }
    public string Message { get; private init; } = "";

    public static ChannelOpenDecision Accept(Func<SshChannel, CancellationToken, Task> run) => new() { Run = run };

    public static ChannelOpenDecision Refuse(ChannelOpenFailureReason reason, string message) => new() { Reason = reason, Message = message };
}
