using System.Net.Sockets;
using Custos.Ssh.Authentication;
using Custos.Ssh.Certificates;
using Custos.Ssh.Connection;
using Custos.Ssh.Keys;
using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Client;

/// <summary>
/// The client role over the same transport and connection code as the server: handshake with host key
/// verification, user authentication (RFC 4252 publickey with keys or certificates, RFC 4256
/// keyboard-interactive), then channels.
/// </summary>
public sealed partial class SshClientSession : SshConnection
{
    private const string ConnectionService = "ssh-connection";
    private readonly SshClientOptions _options;
    private bool _serviceAccepted;

    private SshClientSession(SshTransport transport, SshClientOptions options)
        : base(transport)
    {
        _options = options;
    }

    public bool IsAuthenticated { get; private set; }

    /// <summary>The server's identification string.</summary>
    public string ServerVersion => Transport.PeerVersion;

    /// <summary>The algorithms of the latest key exchange.</summary>
    public string NegotiatedKeyExchange => Transport.Algorithms?.KeyExchange ?? "";
    public string NegotiatedCipher => Transport.Algorithms?.CipherClientToServer ?? "";
    public string NegotiatedHostKeyAlgorithm => Transport.Algorithms?.HostKey ?? "";

    /// <summary>Whether strict KEX is in force.</summary>
    public bool StrictKex => Transport.StrictKex;

    public static async Task<SshClientSession> ConnectAsync(string host, int port, SshClientOptions options, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the handshake over <paramref name="stream"/> (owned by the session from now on).</summary>
    public static async Task<SshClientSession> ConnectAsync(Stream stream, SshClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var transport = new SshTransport(stream, options.Transport, isServer: false, hostKeyVerifier: options.HostKeyVerifier);
        try
        {
            await transport.HandshakeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SshClientSession(transport, options);
    }

    /// <summary>
    /// RFC 4252 §7 publickey authentication with a key, or with a certificate for that key. Returns true on
    /// success, false if the server refused (check <see cref="LastAllowedMethods"/>); partial success is false
    /// with <see cref="LastPartialSuccess"/> set.
    /// </summary>
    public async Task<bool> AuthenticateWithKeyAsync(string user, SshPrivateKey key, SshCertificate? certificate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await RequestUserAuthServiceAsync(cancellationToken).ConfigureAwait(false);
        var signatureAlgorithm = ChooseSignatureAlgorithm(key);
        var algorithm = certificate is null ? signatureAlgorithm : signatureAlgorithm + PublicKeyAuthentication.CertificateSuffix;
        var blob = certificate is null ? key.PublicKey.Blob : certificate.Blob;
        var signed = PublicKeyAuthentication.SignedData(Transport.SessionId, user, ConnectionService, algorithm, blob.Span);
        var request = new UserAuthPublicKeyRequest(user, ConnectionService, algorithm, blob, key.Sign(signed, signatureAlgorithm));
        await Transport.SendAsync(SshMessage.Encode<UserAuthRequestMessage>(request), cancellationToken).ConfigureAwait(false);
        return await AwaitOutcomeAsync(null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 4256 keyboard-interactive; <paramref name="respond"/> answers each round's prompts.</summary>
    public async Task<bool> AuthenticateKeyboardInteractiveAsync(string user, Func<KeyboardInteractiveStep, IReadOnlyList<string>> respond, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(respond);
        await RequestUserAuthServiceAsync(cancellationToken).ConfigureAwait(false);
        var request = new UserAuthKeyboardInteractiveRequest(user, ConnectionService, "", "");
        await Transport.SendAsync(SshMessage.Encode<UserAuthRequestMessage>(request), cancellationToken).ConfigureAwait(false);
        return await AwaitOutcomeAsync(respond, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Methods the server listed in its last USERAUTH_FAILURE.</summary>
    public IReadOnlyList<string> LastAllowedMethods { get; private set; } = [];

    /// <summary>Whether the last USERAUTH_FAILURE reported partial success.</summary>
    public bool LastPartialSuccess { get; private set; }

    private string ChooseSignatureAlgorithm(SshPrivateKey key)
    {
        var supported = key.PublicKey.SignatureAlgorithms.Where(a => a != "ssh-rsa").ToList();
        // RFC 8308 §3.1: prefer what the server announced in server-sig-algs.
        var announced = Transport.ServerSignatureAlgorithms;
        return supported.FirstOrDefault(a => announced?.Contains(a) ?? true) ?? supported[0];
    }

    private async Task RequestUserAuthServiceAsync(CancellationToken cancellationToken)
    {
        if (IsAuthenticated)
        {
            throw new InvalidOperationException("Already authenticated");
        }
        if (_serviceAccepted)
        {
            return;
        }
        await Transport.SendAsync(SshMessage.Encode(new ServiceRequestMessage("ssh-userauth")), cancellationToken).ConfigureAwait(false);
        var reply = await ReceiveAuthMessageAsync(cancellationToken).ConfigureAwait(false);
        if (reply.Span[0] != MessageNumber.ServiceAccept || SshMessage.Decode<ServiceAcceptMessage>(reply.Span).ServiceName != "ssh-userauth")
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Expected SERVICE_ACCEPT for ssh-userauth, got message {reply.Span[0]}");
        }
        _serviceAccepted = true;
    }

    private async Task<bool> AwaitOutcomeAsync(Func<KeyboardInteractiveStep, IReadOnlyList<string>>? respond, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await ReceiveAuthMessageAsync(cancellationToken).ConfigureAwait(false);
            switch (message.Span[0])
            {
                case MessageNumber.UserAuthSuccess:
                    SshMessage.Decode<UserAuthSuccessMessage>(message.Span);
                    IsAuthenticated = true;
                    ConnectionProtocolActive = true;
                    _ = RunAsync();
                    return true;
                case MessageNumber.UserAuthFailure:
                    ReadFailure(message.Span);
                    return false;
                case MessageNumber.UserAuthInfoRequest when respond is not null:
                    var info = SshMessage.Decode<UserAuthInfoRequestMessage>(message.Span);
                    var responses = respond(KeyboardInteractiveStep.Ask(info.Name, info.Instruction, [.. info.Prompts]));
                    await Transport.SendAsync(SshMessage.Encode(new UserAuthInfoResponseMessage([.. responses])), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unexpected message {message.Span[0]} during authentication");
            }
        }
    }

    private void ReadFailure(ReadOnlySpan<byte> payload)
    {
        var failure = SshMessage.Decode<UserAuthFailureMessage>(payload);
        LastAllowedMethods = failure.MethodsThatCanContinue;
        LastPartialSuccess = failure.PartialSuccess;
    }

    /// <summary>Reads the next message before the connection protocol starts, skipping banners.</summary>
    private async Task<ReadOnlyMemory<byte>> ReceiveAuthMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await Transport.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (message.IsEmpty)
            {
                throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection closed during authentication") { FromPeer = true };
            }
            if (message.Span[0] != MessageNumber.UserAuthBanner)
            {
                return message;
            }
            SshMessage.Decode<UserAuthBannerMessage>(message.Span);
        }
    }

    /// <summary>Opens a session channel (RFC 4254 §6.1).</summary>
    public Task<SshChannel> OpenSessionAsync(CancellationToken cancellationToken = default) => OpenChannelAsync("session", default, cancellationToken);

    /// <summary>Opens a direct-tcpip channel (RFC 4254 §7.2) to host:port as seen from the server.</summary>
    public Task<SshChannel> OpenDirectTcpipAsync(string host, uint port, CancellationToken cancellationToken = default)
    {
        var open = new DirectTcpipOpen(host, port, "127.0.0.1", 0);
        return OpenChannelAsync(DirectTcpipOpen.TypeName, SshMessage.EncodeData(open), cancellationToken);
    }

    /// <summary>Runs a command without a terminal, feeding <paramref name="input"/> and collecting output and exit status.</summary>
    public async Task<SshCommandResult> ExecuteAsync(string command, ReadOnlyMemory<byte> input = default, CancellationToken cancellationToken = default)
    {
        var channel = await OpenSessionAsync(cancellationToken).ConfigureAwait(false);
        if (!await channel.SendRequestAsync(ExecRequest.TypeName, SshMessage.EncodeData(new ExecRequest(command)), wantReply: true, cancellationToken).ConfigureAwait(false))
        {
            await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"The server refused to run '{command}'");
        }
        // Read while writing: a command that echoes its input would otherwise fill both windows and stall.
        var collect = CollectAsync(channel, cancellationToken);
        if (!input.IsEmpty)
        {
            await channel.SendDataAsync(input, cancellationToken).ConfigureAwait(false);
        }
        await channel.SendEofAsync(cancellationToken).ConfigureAwait(false);
        return await collect.ConfigureAwait(false);
    }

    /// <summary>Reads a channel to its end: output, error output, exit status or signal.</summary>
    public static async Task<SshCommandResult> CollectAsync(SshChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        uint? status = null;
        string? signal = null;
        while (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            switch (message)
            {
                case SshChannelData { ExtendedType: null } data:
                    output.Write(data.Data.Span);
                    break;
                case SshChannelData data:
                    error.Write(data.Data.Span);
                    break;
                case SshChannelRequest { Type: "exit-status" } request:
                    status = SessionRequests.ParseExitStatus(request.Payload.Span);
                    break;
                case SshChannelRequest { Type: "exit-signal" } request:
                    signal = SessionRequests.ParseExitSignal(request.Payload.Span).Signal;
                    break;
                case SshChannelRequest request:
                    await request.ReplyAsync(false).ConfigureAwait(false);
                    break;
            }
        }
        await channel.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new SshCommandResult(output.ToArray(), error.ToArray(), status, signal);
    }
}
