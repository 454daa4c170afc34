using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

// The type-specific bytes of RFC 4254 channel opens (§6.1, §7.2), global requests (§4, §7.1, OpenSSH
// PROTOCOL §2.2 and §2.5) and channel requests (§6.2-§6.10, OpenSSH keepalive). Each record is the only
// definition of its layout; SessionRequests and the forwarding code go through them.

/// <summary>tcpip-forward global request (RFC 4254 §7.1): where the peer asks us to listen; port 0 lets the server pick.</summary>
public sealed record TcpipForwardRequest(string AddressToBind, uint PortToBind) : ISshTypeSpecificData<TcpipForwardRequest>
{
    public static string TypeName => "tcpip-forward";

    void ISshTypeSpecificData<TcpipForwardRequest>.WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(AddressToBind);
        writer.WriteUInt32(PortToBind);
    }

    static TcpipForwardRequest ISshTypeSpecificData<TcpipForwardRequest>.ReadBody(ref SshReader reader) => new(reader.ReadUtf8String(), reader.ReadUInt32());
}

/// <summary>The REQUEST_SUCCESS data of a tcpip-forward for port 0 (RFC 4254 §7.1): the port the server bound.</summary>
internal sealed record TcpipForwardReply(uint BoundPort) : ISshTypeSpecificData<TcpipForwardReply>
{
    public static string TypeName => "tcpip-forward reply";

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(BoundPort);

    public static TcpipForwardReply ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>cancel-tcpip-forward global request (RFC 4254 §7.1).</summary>
internal sealed record CancelTcpipForwardRequest(string AddressToBind, uint PortToBind) : ISshTypeSpecificData<CancelTcpipForwardRequest>
{
    public static string TypeName => "cancel-tcpip-forward";

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(AddressToBind);
        writer.WriteUInt32(PortToBind);
    }

    public static CancelTcpipForwardRequest ReadBody(ref SshReader reader) => new(reader.ReadUtf8String(), reader.ReadUInt32());
}

/// <summary>keepalive@openssh.com, as a global or a channel request: no data; answered with failure.</summary>
internal sealed record KeepaliveRequest : ISshTypeSpecificData<KeepaliveRequest>
{
    public static string TypeName => "keepalive@openssh.com";

    public void WriteBody(SshWriter writer)
    {
    }

    public static KeepaliveRequest ReadBody(ref SshReader reader) => new();
}

/// <summary>no-more-sessions@openssh.com global request (OpenSSH PROTOCOL §2.2): no data.</summary>
internal sealed record NoMoreSessionsRequest : ISshTypeSpecificData<NoMoreSessionsRequest>
{
    public static string TypeName => "no-more-sessions@openssh.com";

    public void WriteBody(SshWriter writer)
    {
    }

    public static NoMoreSessionsRequest ReadBody(ref SshReader reader) => new();
}

/// <summary>The session channel type (RFC 4254 §6.1): no type-specific data.</summary>
internal sealed record SessionOpen : ISshTypeSpecificData<SessionOpen>
{
    public static string TypeName => "session";

    public void WriteBody(SshWriter writer)
    {
    }

    public static SessionOpen ReadBody(ref SshReader reader) => new();
}

/// <summary>direct-tcpip channel (RFC 4254 §7.2): where to connect, and who asked.</summary>
public sealed record DirectTcpipOpen(string HostToConnect, uint PortToConnect, string OriginatorAddress, uint OriginatorPort) : ISshTypeSpecificData<DirectTcpipOpen>
{
    public static string TypeName => "direct-tcpip";

    void ISshTypeSpecificData<DirectTcpipOpen>.WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(HostToConnect);
        writer.WriteUInt32(PortToConnect);
        writer.WriteUtf8String(OriginatorAddress);
        writer.WriteUInt32(OriginatorPort);
    }

    static DirectTcpipOpen ISshTypeSpecificData<DirectTcpipOpen>.ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadUInt32(), reader.ReadUtf8String(), reader.ReadUInt32());
}

/// <summary>
/// forwarded-tcpip channel (RFC 4254 §7.2): a connection arrived on a remote forward. The connected address
/// and port identify the forward (as requested, with the bound port); the originator is the connecting peer.
/// </summary>
public sealed record ForwardedTcpipOpen(string ConnectedAddress, uint ConnectedPort, string OriginatorAddress, uint OriginatorPort) : ISshTypeSpecificData<ForwardedTcpipOpen>
{
    public static string TypeName => "forwarded-tcpip";

    void ISshTypeSpecificData<ForwardedTcpipOpen>.WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(ConnectedAddress);
        writer.WriteUInt32(ConnectedPort);
        writer.WriteUtf8String(OriginatorAddress);
        writer.WriteUInt32(OriginatorPort);
    }

    static ForwardedTcpipOpen ISshTypeSpecificData<ForwardedTcpipOpen>.ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadUInt32(), reader.ReadUtf8String(), reader.ReadUInt32());
}

/// <summary>pty-req (RFC 4254 §6.2); <see cref="Modes"/> are the encoded terminal modes (§8) verbatim.</summary>
internal sealed record PtyRequest(string Term, uint Columns, uint Rows, uint WidthPixels, uint HeightPixels, ReadOnlyMemory<byte> Modes) : ISshTypeSpecificData<PtyRequest>
{
    public static string TypeName => "pty-req";

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Term);
        writer.WriteUInt32(Columns);
        writer.WriteUInt32(Rows);
        writer.WriteUInt32(WidthPixels);
        writer.WriteUInt32(HeightPixels);
        writer.WriteString(Modes.Span);
    }

    public static PtyRequest ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadString().ToArray());
}

/// <summary>env (RFC 4254 §6.4).</summary>
internal sealed record EnvRequest(string Name, string Value) : ISshTypeSpecificData<EnvRequest>
{
    public static string TypeName => "env";

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Name);
        writer.WriteUtf8String(Value);
    }

    public static EnvRequest ReadBody(ref SshReader reader) => new(reader.ReadUtf8String(), reader.ReadUtf8String());
}

/// <summary>shell (RFC 4254 §6.5): no data.</summary>
internal sealed record ShellRequest : ISshTypeSpecificData<ShellRequest>
{
    public static string TypeName => "shell";

    public void WriteBody(SshWriter writer)
    {
    }

    public static ShellRequest ReadBody(ref SshReader reader) => new();
}

/// <summary>exec (RFC 4254 §6.5).</summary>
internal sealed record ExecRequest(string Command) : ISshTypeSpecificData<ExecRequest>
{
    public static string TypeName => "exec";

    public void WriteBody(SshWriter writer) => writer.WriteUtf8String(Command);

    public static ExecRequest ReadBody(ref SshReader reader) => new(reader.ReadUtf8String());
}

/// <summary>subsystem (RFC 4254 §6.5).</summary>
internal sealed record SubsystemRequest(string Name) : ISshTypeSpecificData<SubsystemRequest>
{
    public static string TypeName => "subsystem";

    public void WriteBody(SshWriter writer) => writer.WriteUtf8String(Name);

    public static SubsystemRequest ReadBody(ref SshReader reader) => new(reader.ReadUtf8String());
}

/// <summary>window-change (RFC 4254 §6.7).</summary>
internal sealed record WindowChangeRequest(uint Columns, uint Rows, uint WidthPixels, uint HeightPixels) : ISshTypeSpecificData<WindowChangeRequest>
{
    public static string TypeName => "window-change";

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(Columns);
        writer.WriteUInt32(Rows);
        writer.WriteUInt32(WidthPixels);
        writer.WriteUInt32(HeightPixels);
    }

    public static WindowChangeRequest ReadBody(ref SshReader reader) => new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32());
}

/// <summary>signal (RFC 4254 §6.9): the signal name without "SIG".</summary>
internal sealed record SignalRequest(string SignalName) : ISshTypeSpecificData<SignalRequest>
{
    public static string TypeName => "signal";

    public void WriteBody(SshWriter writer) => writer.WriteUtf8String(SignalName);

    public static SignalRequest ReadBody(ref SshReader reader) => new(reader.ReadUtf8String());
}

/// <summary>exit-status (RFC 4254 §6.10).</summary>
internal sealed record ExitStatusRequest(uint ExitStatus) : ISshTypeSpecificData<ExitStatusRequest>
{
    public static string TypeName => "exit-status";

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(ExitStatus);

    public static ExitStatusRequest ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>exit-signal (RFC 4254 §6.10).</summary>
internal sealed record ExitSignalRequest(string SignalName, bool CoreDumped, string ErrorMessage, string Language) : ISshTypeSpecificData<ExitSignalRequest>
{
    public static string TypeName => "exit-signal";

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(SignalName);
        writer.WriteBoolean(CoreDumped);
        writer.WriteUtf8String(ErrorMessage);
        writer.WriteUtf8String(Language);
    }

    public static ExitSignalRequest ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadBoolean(), reader.ReadUtf8String(), reader.ReadUtf8String());
}
