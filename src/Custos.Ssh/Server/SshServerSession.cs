using Custos.Ssh.Authentication;
using Custos.Ssh.Connection;
using Custos.Ssh.Keys;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Server;

/// <summary>
/// One accepted SSH connection in the server role: transport, then the user authentication service
/// (RFC 4252, keyboard-interactive per RFC 4256), then the connection protocol from <see cref="SshConnection"/>.
/// </summary>
public sealed partial class SshServerSession : SshConnection
{
    private const string UserAuthService = "ssh-userauth";
    private const string ConnectionService = "ssh-connection";
    private readonly SshServerOptions _options;
    private readonly SshServerAuthenticator _authenticator;
    private readonly TaskCompletionSource _authenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _serviceAccepted;
    private bool _noMoreSessions;
    private int _failures;
    private SshAuthenticationContext? _context;
    private bool _keyboardInteractivePending;

    private SshServerSession(SshTransport transport, SshServerOptions options, System.Net.EndPoint? remoteEndPoint)
        : base(transport)
    {
        _options = options;
        _authenticator = options.Authenticator!;
        RemoteEndPoint = remoteEndPoint;
    }

    public System.Net.EndPoint? RemoteEndPoint { get; }

    /// <summary>Completes when the user is authenticated.</summary>
    public Task Authenticated => _authenticated.Task;

    /// <summary>The authenticated user's context (user name, key or certificate, authenticator state).</summary>
    public SshAuthenticationContext? AuthenticationContext => _authenticated.Task.IsCompletedSuccessfully ? _context : null;

    /// <summary>The client's identification string.</summary>
    public string ClientVersion => Transport.PeerVersion;

    /// <summary>Runs a server connection on <paramref name="stream"/> until it ends.</summary>
    public static async Task RunAsync(Stream stream, SshServerOptions options, System.Net.EndPoint? remoteEndPoint = null, Action<SshServerSession>? started = null, CancellationToken cancellationToken = default)
    {
        var session = await AcceptAsync(stream, options, remoteEndPoint, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            started?.Invoke(session);
            await session.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>Performs the handshake and starts serving; the returned session runs until <see cref="SshConnection.Completion"/>.</summary>
    public static Task<SshServerSession> AcceptAsync(Stream stream, SshServerOptions options, System.Net.EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default) =>
        AcceptAsync(stream, options, remoteEndPoint, onCreated: null, cancellationToken);

    /// <summary>
    /// As <see cref="AcceptAsync(Stream, SshServerOptions, System.Net.EndPoint?, CancellationToken)"/>, calling
    /// <paramref name="onCreated"/> after the key exchange and before the session handles any further message, so a
    /// caller registers the session before it can authenticate.
    /// </summary>
    public static async Task<SshServerSession> AcceptAsync(Stream stream, SshServerOptions options, System.Net.EndPoint? remoteEndPoint,
        Action<SshServerSession>? onCreated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var transport = new SshTransport(stream, options.Transport, isServer: true, hostKeys: [.. options.HostKeys]);
        try
        {
            await transport.HandshakeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var session = new SshServerSession(transport, options, remoteEndPoint);
        onCreated?.Invoke(session);
        session.Start();
        return session;
    }

    /// <summary>Test and fuzzing hook: a session over an unhandshaken transport whose output goes to <paramref name="sink"/>.</summary>
    internal static SshServerSession CreateDetached(Stream sink, SshServerOptions options)
    {
        var transport = new SshTransport(sink, options.Transport, isServer: true, hostKeys: [.. options.HostKeys]);
        transport.SetSessionIdForTest(new byte[32]);
        return new SshServerSession(transport, options, null);
    }

    private void Start()
    {
        _ = RunAsync();
        _ = EnforceGraceTimeAsync();
    }

    private async Task EnforceGraceTimeAsync()
    {
        try
        {
            await Task.WhenAny(_authenticated.Task, Task.Delay(_options.LoginGraceTime, _options.Transport.TimeProvider, ConnectionClosed)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (!_authenticated.Task.IsCompleted && !ConnectionClosed.IsCancellationRequested)
        {
            await DisconnectAsync(DisconnectReason.ByApplication, "Login grace time exceeded").ConfigureAwait(false);
        }
    }

    private protected override async ValueTask<bool> HandleOtherAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        switch (payload.Span[0])
        {
            case MessageNumber.ServiceRequest:
                await OnServiceRequestAsync(payload, cancellationToken).ConfigureAwait(false);
                return true;
            case MessageNumber.UserAuthRequest:
                await OnUserAuthRequestAsync(payload, cancellationToken).ConfigureAwait(false);
                return true;
            case MessageNumber.UserAuthInfoResponse when _keyboardInteractivePending:
                await OnInfoResponseAsync(payload, cancellationToken).ConfigureAwait(false);
                return true;
            case >= MessageNumber.UserAuthRequest and < MessageNumber.GlobalRequest:
                throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unexpected authentication message {payload.Span[0]}");
            default:
                return false;
        }
    }

    private async ValueTask OnServiceRequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var service = SshMessage.Decode<ServiceRequestMessage>(payload.Span).ServiceName;
        if (service != UserAuthService || _serviceAccepted)
        {
            throw new SshProtocolException(DisconnectReason.ServiceNotAvailable, $"Service '{SshPublicKey.Truncate(service)}' is not available");
        }
        _serviceAccepted = true;
        await Transport.SendFromReaderAsync(SshMessage.Encode(new ServiceAcceptMessage(UserAuthService)), cancellationToken).ConfigureAwait(false);
        if (_options.Banner is { } banner)
        {
            await Transport.SendFromReaderAsync(SshMessage.Encode(new UserAuthBannerMessage(banner, "")), cancellationToken).ConfigureAwait(false);
        }
    }

    private protected override ValueTask<ChannelOpenDecision> DecideChannelOpenAsync(SshChannelOpenRequest request, CancellationToken cancellationToken)
    {
        if (request.ChannelType == ForwardedTcpipOpen.TypeName)
        {
            // RFC 4254 §7.2: forwarded-tcpip channels go from the side that listens (us) to the client, never back.
            return ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "forwarded-tcpip is opened by the server"));
        }
        if (request.ChannelType == "session" && _noMoreSessions)
        {
            // OpenSSH PROTOCOL §2.2: after no-more-sessions@openssh.com, further sessions are refused.
            return ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "No more sessions"));
        }
        return _options.ChannelHandler is { } handler
            ? handler(this, request, cancellationToken)
            : ValueTask.FromResult(ChannelOpenDecision.Refuse(ChannelOpenFailureReason.AdministrativelyProhibited, "Channels are not accepted"));
    }
}
