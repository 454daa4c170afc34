using Custos.Ssh.Connection;

namespace Custos.Ssh.Forwarding;

/// <summary>
/// A granted remote forward (RFC 4254 §7.1): the address as the client asked for it (the client matches
/// forwarded-tcpip channels on this string) and the port actually bound.
/// </summary>
public sealed record RemoteForward(string BindAddress, uint BoundPort);

/// <summary>
/// The host application's answer to a tcpip-forward request. The library never listens by itself: a grant
/// names the port the host bound (or will bind) and optionally a <see cref="Run"/> task, started after the
/// reply is sent and cancelled on cancel-tcpip-forward or when the connection ends.
/// </summary>
public sealed record RemoteForwardDecision
{
    private RemoteForwardDecision() { }

    public bool Granted { get; private init; }

    /// <summary>For a request of port 0, the port the host picked; otherwise 0 or the requested port.</summary>
    public uint BoundPort { get; private init; }

    /// <summary>Serves the forward (e.g. <see cref="RemoteForwardListener.RunAsync"/>) until its token is cancelled.</summary>
    public Func<RemoteForward, CancellationToken, Task>? Run { get; private init; }

    public static RemoteForwardDecision Grant(uint boundPort, Func<RemoteForward, CancellationToken, Task>? run = null) =>
        new() { Granted = true, BoundPort = boundPort, Run = run };

    public static RemoteForwardDecision Refuse() => new();
}

/// <summary>Server role: decides about a client's tcpip-forward request. Runs on the connection's read loop; do not wait for channels here.</summary>
public delegate ValueTask<RemoteForwardDecision> SshRemoteForwardHandler(Server.SshServerSession session, TcpipForwardRequest request, CancellationToken cancellationToken);

/// <summary>
/// Client role: decides about a forwarded-tcpip channel the server opens on one of our granted remote
/// forwards (the library has already refused channels for forwards that were not granted).
/// </summary>
public delegate ValueTask<ChannelOpenDecision> SshForwardedTcpipHandler(Client.SshClientSession session, RemoteForward forward, ForwardedTcpipOpen open, CancellationToken cancellationToken);
