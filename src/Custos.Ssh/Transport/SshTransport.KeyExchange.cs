using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Transport;

/// <summary>
/// The key exchange state machine (RFC 4253 §7-§9) including strict KEX (OpenSSH PROTOCOL §1.10).
/// Sending side: between our KEXINIT and our NEWKEYS, service messages wait behind <see cref="_sendGate"/>.
/// Receiving side: after the peer's KEXINIT only key exchange messages are accepted until its NEWKEYS.
/// </summary>
internal sealed partial class SshTransport
{
    /// <summary>Signature algorithms we accept for user authentication, announced in server-sig-algs.</summary>
    public static readonly IReadOnlyList<string> UserSignatureAlgorithms =
        ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
         "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"];

    private enum ReceiveKexState
    {
        Idle,
        AwaitingKexMessages,
        AwaitingNewKeys,
    }

    private readonly SshHostKey[] _hostKeys;
    private readonly IHostKeyVerifier? _hostKeyVerifier;
    private ReceiveKexState _receiveKexState;
    private TaskCompletionSource? _sendGate;
    private byte[]? _ourKexInit;
    private byte[]? _peerKexInit;
    private KeyExchangeMethod? _kexMethod;
    private byte[]? _sessionId;
    private PacketCipher? _pendingReceiveCipher;
    private bool _ignoreNextKexPacket;
    private byte[]? _clientPublic;
    private long _bytesAtLastKex;
    private DateTimeOffset _lastKexTime;

    private async Task StartKeyExchangeAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendKexInitLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask SendKexInitLockedAsync(CancellationToken cancellationToken)
    {
        if (_sendGate is not null)
        {
            return;
        }
        var first = _sessionId is null;
        var kex = _options.KeyExchangeAlgorithms.ToList();
        if (first)
        {
            // Pseudo-algorithms belong to the first KEXINIT only (OpenSSH PROTOCOL §1.10, RFC 8308 §2.1).
            if (_options.OfferStrictKex)
            {
                kex.Add(IsServer ? KeyExchangeNames.StrictServer : KeyExchangeNames.StrictClient);
            }
            if (!IsServer)
            {
                kex.Add(KeyExchangeNames.ExtInfoClient);
            }
        }
        var hostKeyAlgorithms = IsServer
            ? _hostKeys.SelectMany(k => k.Algorithms).Distinct().ToArray()
            : [.. _hostKeyVerifier!.Algorithms];
        var message = new KexInitMessage
        {
            KeyExchange = [.. kex],
            HostKey = hostKeyAlgorithms,
            CiphersClientToServer = [.. _options.Ciphers],
            CiphersServerToClient = [.. _options.Ciphers],
            MacsClientToServer = [.. CipherNames.Macs],
            MacsServerToClient = [.. CipherNames.Macs],
        };
        _ourKexInit = message.Encode();
        _sendGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _codec.WriteAsync(_ourKexInit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handles a transport-layer message; returns false if it belongs to the layers above.</summary>
    internal async ValueTask<bool> HandleTransportMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var number = payload.Span[0];
        if (StrictKex && KeyExchangeCount == 0 && !MessageNumber.IsKeyExchange(number) && number != MessageNumber.Disconnect)
        {
            // OpenSSH PROTOCOL §1.10: nothing but key exchange messages before the first NEWKEYS.
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Strict KEX forbids message {number} during the first key exchange");
        }
        switch (number)
        {
            case MessageNumber.Disconnect:
                throw PeerDisconnected(payload.Span);
            case MessageNumber.Ignore:
            case MessageNumber.Debug:
            case MessageNumber.Unimplemented:
                return true;
            case MessageNumber.ExtInfo:
                OnExtInfo(payload.Span);
                return true;
            case MessageNumber.KexInit:
                await OnKexInitAsync(payload, cancellationToken).ConfigureAwait(false);
                return true;
            case MessageNumber.NewKeys:
                OnNewKeys(payload.Span);
                return true;
            case >= 30 and <= 49:
                await OnKexMethodMessageAsync(payload, cancellationToken).ConfigureAwait(false);
                return true;
            case < MessageNumber.ServiceRequest or (> MessageNumber.ExtInfo and < MessageNumber.KexInit) or (> MessageNumber.NewKeys and < 30):
                await SendUnimplementedAsync(cancellationToken).ConfigureAwait(false);
                return true;
            default:
                if (_sessionId is null)
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"Message {number} before the first key exchange completed");
                }
                return false;
        }
    }

    private async ValueTask SendUnimplementedAsync(CancellationToken cancellationToken)
    {
        var unimplemented = SshMessage.Encode(new UnimplementedMessage(unchecked(_codec.ReceiveSequence - 1)));
        await SendKexMessageAsync(unimplemented, cancellationToken).ConfigureAwait(false);
    }

    private static SshProtocolException PeerDisconnected(ReadOnlySpan<byte> payload)
    {
        var disconnect = SshMessage.Decode<DisconnectMessage>(payload);
        return new SshProtocolException(disconnect.Reason, $"Peer disconnected ({disconnect.Reason}): {disconnect.Description}") { FromPeer = true };
    }

    private void OnExtInfo(ReadOnlySpan<byte> payload)
    {
        // RFC 8308 §2.3: a client only acts on the server's extensions.
        var extensions = SshMessage.Decode<ExtInfoMessage>(payload).Extensions;
        foreach (var (name, value) in extensions)
        {
            if (!IsServer && name == "server-sig-algs")
            {
                ServerSignatureAlgorithms = System.Text.Encoding.ASCII.GetString(value.Span).Split(',');
            }
        }
    }

    private async ValueTask OnKexInitAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (_receiveKexState != ReceiveKexState.Idle)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "KEXINIT received during a key exchange");
        }
        _peerKexInit = payload.ToArray();
        var peer = KexInitMessage.Decode(payload.Span);
        _receiveKexState = ReceiveKexState.AwaitingKexMessages;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendKexInitLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        var ours = KexInitMessage.Decode(_ourKexInit);
        var (client, server) = IsServer ? (peer, ours) : (ours, peer);
        if (_sessionId is null)
        {
            StrictKex = _options.OfferStrictKex && (IsServer
                ? client.KeyExchange.Contains(KeyExchangeNames.StrictClient)
                : server.KeyExchange.Contains(KeyExchangeNames.StrictServer));
            if (StrictKex && _codec.ReceiveSequence != 1)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "Strict KEX requires KEXINIT to be the first message");
            }
            PeerWantsExtInfo = IsServer && client.KeyExchange.Contains(KeyExchangeNames.ExtInfoClient);
        }
        var negotiated = NegotiatedAlgorithms.Negotiate(client, server);
        _ignoreNextKexPacket = peer.FirstKexPacketFollows && !NegotiatedAlgorithms.GuessWasRight(client, server);
        _kexMethod?.Dispose();
        _kexMethod = KeyExchangeMethod.Create(negotiated.KeyExchange);
        Algorithms = negotiated;
        if (!IsServer)
        {
            _clientPublic = _kexMethod.CreateClientPublic();
            await SendKexMessageAsync(SshMessage.Encode(new KexEcdhInitMessage(_clientPublic)), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask OnKexMethodMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (_receiveKexState != ReceiveKexState.AwaitingKexMessages)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unexpected key exchange message {payload.Span[0]}");
        }
        if (_ignoreNextKexPacket)
        {
            _ignoreNextKexPacket = false;
            return;
        }
        var number = payload.Span[0];
        if (IsServer && number == MessageNumber.KexEcdhInit)
        {
            await ServerReplyAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        else if (!IsServer && number == MessageNumber.KexEcdhReply)
        {
            await ClientCompleteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unexpected key exchange message {number}");
        }
    }

    // RFC 5656 §4 / RFC 8731 §3: server side of the ECDH-shaped exchange.
    private async ValueTask ServerReplyAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var method = _kexMethod!;
        var algorithms = Algorithms!;
        var clientPublic = SshMessage.Decode<KexEcdhInitMessage>(payload.Span).ClientPublic.ToArray();
        var (serverPublic, secret) = method.RespondToClient(clientPublic);
        var hostKey = _hostKeys.First(k => k.Algorithms.Contains(algorithms.HostKey));
        var hostKeyBlob = hostKey.GetPublicBlob(algorithms.HostKey);
        var hash = KeyDerivation.ExchangeHash(method, PeerVersion, LocalVersion, _peerKexInit, _ourKexInit, hostKeyBlob, clientPublic, serverPublic, secret);
        _sessionId ??= hash;
        HostKeyBlob = hostKeyBlob;
        var signature = hostKey.Sign(hash, algorithms.HostKey);
        await SendKexMessageAsync(SshMessage.Encode(new KexEcdhReplyMessage(hostKeyBlob, serverPublic, signature)), cancellationToken).ConfigureAwait(false);
        await FinishOwnSideAsync(secret, hash, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ClientCompleteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var method = _kexMethod!;
        var algorithms = Algorithms!;
        var reply = SshMessage.Decode<KexEcdhReplyMessage>(payload.Span);
        byte[] hostKeyBlob = reply.HostKey.ToArray(), serverPublic = reply.ServerPublic.ToArray(), signature = reply.Signature.ToArray();
        var clientPublic = _clientPublic!;
        var secret = method.CompleteWithServer(serverPublic);
        var hash = KeyDerivation.ExchangeHash(method, LocalVersion, PeerVersion, _ourKexInit, _peerKexInit, hostKeyBlob, clientPublic, serverPublic, secret);
        if (HostKeyBlob is not null && !HostKeyBlob.AsSpan().SequenceEqual(hostKeyBlob))
        {
            // A re-key must not change the server's identity.
            throw new SshProtocolException(DisconnectReason.HostKeyNotVerifiable, "Host key changed during re-key");
        }
        if (!await _hostKeyVerifier!.VerifyAsync(algorithms.HostKey, hostKeyBlob, hash, signature, cancellationToken).ConfigureAwait(false))
        {
            throw new SshProtocolException(DisconnectReason.HostKeyNotVerifiable, "Host key not trusted or signature invalid");
        }
        HostKeyBlob = hostKeyBlob;
        _sessionId ??= hash;
        await FinishOwnSideAsync(secret, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends NEWKEYS, switches outgoing keys and releases held-back writers (RFC 4253 §7.3).</summary>
    private async ValueTask FinishOwnSideAsync(byte[] secret, byte[] hash, CancellationToken cancellationToken)
    {
        var method = _kexMethod!;
        var algorithms = Algorithms!;
        var sessionId = _sessionId!;
        var sendCipher = KeyDerivation.CreateCipher(method, secret, hash, sessionId,
            IsServer ? algorithms.CipherServerToClient : algorithms.CipherClientToServer, clientToServer: !IsServer);
        _pendingReceiveCipher = KeyDerivation.CreateCipher(method, secret, hash, sessionId,
            IsServer ? algorithms.CipherClientToServer : algorithms.CipherServerToClient, clientToServer: IsServer);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        var firstExchange = KeyExchangeCount == 0;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _codec.WriteAsync(SshMessage.Encode(new NewKeysMessage()), cancellationToken).ConfigureAwait(false);
            if (StrictKex && firstExchange && _codec.SendSequenceWrapped)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "Sequence number wrapped during the first strict key exchange");
            }
            _codec.SetSendCipher(sendCipher, resetSequence: StrictKex);
            if (IsServer && firstExchange && PeerWantsExtInfo)
            {
                await _codec.WriteAsync(EncodeExtInfo(), cancellationToken).ConfigureAwait(false);
            }
            while (_deferred.TryDequeue(out var deferred))
            {
                await _codec.WriteAsync(deferred, cancellationToken).ConfigureAwait(false);
            }
            var gate = _sendGate;
            _sendGate = null;
            gate?.TrySetResult();
        }
        finally
        {
            _writeLock.Release();
        }
        _receiveKexState = ReceiveKexState.AwaitingNewKeys;
    }

    private static byte[] EncodeExtInfo() =>
        SshMessage.Encode(new ExtInfoMessage([("server-sig-algs", System.Text.Encoding.ASCII.GetBytes(string.Join(',', UserSignatureAlgorithms)))]));

    private void OnNewKeys(ReadOnlySpan<byte> payload)
    {
        SshMessage.Decode<NewKeysMessage>(payload);
        if (_receiveKexState != ReceiveKexState.AwaitingNewKeys)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Unexpected NEWKEYS");
        }
        _codec.SetReceiveCipher(_pendingReceiveCipher!, resetSequence: StrictKex);
        _pendingReceiveCipher = null;
        _receiveKexState = ReceiveKexState.Idle;
        _peerKexInit = null;
        _kexMethod?.Dispose();
        _kexMethod = null;
        KeyExchangeCount++;
        _bytesAtLastKex = _codec.BytesSent + _codec.BytesReceived;
        _lastKexTime = _time.GetUtcNow();
    }

    /// <summary>Sends a key exchange message, bypassing the gate that holds back service messages.</summary>
    private async ValueTask SendKexMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _codec.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
