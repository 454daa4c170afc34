namespace Custos.Ssh.Transport;

/// <summary>
/// The one exception the protocol layer raises for a peer's misbehaviour or a failed handshake.
/// It carries the RFC 4253 §11.1 disconnect reason that is sent to the peer before the connection closes.
/// </summary>
public sealed class SshProtocolException : Exception
{
    public SshProtocolException(DisconnectReason reason, string message)
        : base(message) => Reason = reason;

    public SshProtocolException(DisconnectReason reason, string message, Exception innerException)
        : base(message, innerException) => Reason = reason;

    public SshProtocolException()
        : this(DisconnectReason.ProtocolError, "SSH protocol error")
    {
    }

    public SshProtocolException(string message)
        : this(DisconnectReason.ProtocolError, message)
    {
    }

    public SshProtocolException(string message, Exception innerException)
        : this(DisconnectReason.ProtocolError, message, innerException)
    {
    }

    /// <summary>The reason code sent in SSH_MSG_DISCONNECT (or received in it, when <see cref="FromPeer"/>).</summary>
    public DisconnectReason Reason { get; }

    /// <summary>True when the peer disconnected us with this reason.</summary>
    public bool FromPeer { get; init; }
}

/// <summary>RFC 4253 §11.1 disconnect reason codes.</summary>
public enum DisconnectReason : uint
{
    None = 0,
    HostNotAllowedToConnect = 1,
    ProtocolError = 2,
    KeyExchangeFailed = 3,
    Reserved = 4,
    MacError = 5,
    CompressionError = 6,
    ServiceNotAvailable = 7,
    ProtocolVersionNotSupported = 8,
    HostKeyNotVerifiable = 9,
    ConnectionLost = 10,
    ByApplication = 11,
    TooManyConnections = 12,
    AuthCancelledByUser = 13,
    NoMoreAuthMethodsAvailable = 14,
    IllegalUserName = 15,
}
