using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Transport;

/// <summary>
/// One SSH transport connection (RFC 4253) in either role: version exchange, packet I/O, the key exchange
/// state machine (SshTransport.KeyExchange.cs) and re-keying. The layer above has a single reader calling
/// <see cref="ReceiveAsync"/>, which handles transport messages itself and returns only service messages;
/// any number of writers may call <see cref="SendAsync"/>, which holds them back while keys change.
/// </summary>
internal sealed partial class SshTransport : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly SshTransportOptions _options;
    private readonly PacketCodec _codec;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeProvider _time;
    private bool _disposed;
    private int _disconnectSent;
    private readonly Queue<byte[]> _deferred = new();

    public SshTransport(Stream stream, SshTransportOptions options, bool isServer, SshHostKey[]? hostKeys = null, IHostKeyVerifier? hostKeyVerifier = null)
    {
        options.Validate();
        _stream = stream;
        _options = options;
        _time = options.TimeProvider;
        IsServer = isServer;
        _hostKeys = hostKeys ?? [];
        _hostKeyVerifier = hostKeyVerifier;
        if (isServer && _hostKeys.Length == 0)
        {
            throw new ArgumentException("A server needs at least one host key", nameof(hostKeys));
        }
        if (!isServer && hostKeyVerifier is null)
        {
            throw new ArgumentException("A client needs a host key verifier", nameof(hostKeyVerifier));
        }
        _codec = new PacketCodec(stream);
        LocalVersion = "SSH-2.0-" + options.SoftwareVersion;
    }

    public bool IsServer { get; }
    public string LocalVersion { get; }
    public string PeerVersion { get; private set; } = "";

    /// <summary>H of the first key exchange (RFC 4253 §7.2), used by user authentication signatures.</summary>
    public byte[] SessionId => _sessionId ?? throw new InvalidOperationException("Key exchange has not completed");

    /// <summary>Test and fuzzing hook for detached sessions.</summary>
    internal void SetSessionIdForTest(byte[] sessionId)
    {
        _sessionId = sessionId;
        _lastKexTime = _time.GetUtcNow();
    }

    /// <summary>The algorithms of the latest completed key exchange.</summary>
    public NegotiatedAlgorithms? Algorithms { get; private set; }

    /// <summary>Whether strict KEX (Terrapin countermeasure) is in force on this connection.</summary>
    public bool StrictKex { get; private set; }

    /// <summary>Completed key exchanges, counting the first.</summary>
    public int KeyExchangeCount { get; private set; }

    /// <summary>The server's host key blob as received (client) or sent (server).</summary>
    public byte[]? HostKeyBlob { get; private set; }

    /// <summary>Server-sig-algs from the server's EXT_INFO (client role; RFC 8308 §3.1).</summary>
    public IReadOnlyList<string>? ServerSignatureAlgorithms { get; private set; }

    /// <summary>Whether the client announced ext-info-c (server role).</summary>
    public bool PeerWantsExtInfo { get; private set; }

    internal uint SendSequence => _codec.SendSequence;
    internal uint ReceiveSequence => _codec.ReceiveSequence;

    /// <summary>Version exchange and the first key exchange; returns when both directions are encrypted.</summary>
    public async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await VersionExchange.SendAsync(_stream, LocalVersion, linked.Token).ConfigureAwait(false);
            var (peer, leftover) = await VersionExchange.ReceiveAsync(_stream, !IsServer, linked.Token).ConfigureAwait(false);
            PeerVersion = peer;
            _codec.Preload(leftover);
            await StartKeyExchangeAsync(linked.Token).ConfigureAwait(false);
            while (_sessionId is null || _receiveKexState != ReceiveKexState.Idle)
            {
                var payload = await ReadPacketAsync(linked.Token).ConfigureAwait(false);
                if (!await HandleTransportMessageAsync(payload, linked.Token).ConfigureAwait(false))
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"Unexpected message {payload.Span[0]} during the first key exchange");
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SshProtocolException(DisconnectReason.ConnectionLost, "Handshake timed out");
        }
        catch (SshProtocolException e) when (!e.FromPeer)
        {
            await TrySendDisconnectAsync(e.Reason, e.Message).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Returns the next message for the layers above (service request and higher). The payload aliases an
    /// internal buffer and is valid until the next call. Returns empty when the peer closed the stream.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var payload = await ReadPacketAsync(cancellationToken).ConfigureAwait(false);
                if (payload.IsEmpty)
                {
                    return payload;
                }
                if (!await HandleTransportMessageAsync(payload, cancellationToken).ConfigureAwait(false))
                {
                    if (_receiveKexState == ReceiveKexState.AwaitingKexMessages || _receiveKexState == ReceiveKexState.AwaitingNewKeys)
                    {
                        // RFC 4253 §7.1: after the peer's KEXINIT only key exchange messages until its NEWKEYS.
                        throw new SshProtocolException(DisconnectReason.ProtocolError, $"Message {payload.Span[0]} is not allowed during key exchange");
                    }
                    return payload;
                }
            }
        }
        catch (SshProtocolException e) when (!e.FromPeer)
        {
            await TrySendDisconnectAsync(e.Reason, e.Message).ConfigureAwait(false);
            throw;
        }
        catch (SshFormatException e)
        {
            await TrySendDisconnectAsync(DisconnectReason.ProtocolError, "Malformed message").ConfigureAwait(false);
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Malformed message: " + e.Message, e);
        }
    }

    /// <summary>Sends a service-layer message, waiting while a key exchange holds new messages back.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            Task? gate;
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                gate = _sendGate?.Task;
                if (gate is null)
                {
                    await _codec.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                    if (RekeyDue())
                    {
                        await SendKexInitLockedAsync(cancellationToken).ConfigureAwait(false);
                    }
                    return;
                }
            }
            finally
            {
                _writeLock.Release();
            }
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a message from the read loop (replies, channel confirmations, CLOSE). The read loop must never
    /// wait for the key exchange gate, because only it can read the peer's KEXINIT that opens the gate; so
    /// while our KEXINIT is outstanding such messages are queued and sent right after our NEWKEYS.
    /// </summary>
    public async ValueTask SendFromReaderAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sendGate is not null)
            {
                _deferred.Enqueue(payload.ToArray());
                return;
            }
            await _codec.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends several service-layer messages back to back (e.g. exit-status, EOF and CLOSE).</summary>
    public async ValueTask SendManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken)
    {
        foreach (var payload in payloads)
        {
            await SendAsync(payload, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks for a key exchange now (either side may, RFC 4253 §9).</summary>
    public async Task RequestRekeyAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sendGate is null && _receiveKexState == ReceiveKexState.Idle)
            {
                await SendKexInitLockedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends SSH_MSG_DISCONNECT (RFC 4253 §11.1) and closes the stream.</summary>
    public async Task DisconnectAsync(DisconnectReason reason, string description)
    {
        await TrySendDisconnectAsync(reason, description).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    private async Task TrySendDisconnectAsync(DisconnectReason reason, string description)
    {
        if (_disposed || Interlocked.Exchange(ref _disconnectSent, 1) != 0)
        {
            return;
        }
        var disconnect = SshMessage.Encode(new DisconnectMessage(reason, description, ""));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            if (await _writeLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false))
            {
                try
                {
                    await _codec.WriteAsync(disconnect, timeout.Token).ConfigureAwait(false);
                    await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Best effort: the peer may already be gone.
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>> ReadPacketAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> payload;
        try
        {
            payload = await _codec.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection lost: " + e.Message, e) { FromPeer = true };
        }
        if (payload.IsEmpty)
        {
            if (_sessionId is null || _receiveKexState != ReceiveKexState.Idle)
            {
                throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection closed during key exchange") { FromPeer = true };
            }
            return payload;
        }
        if (StrictKex && _sessionId is null && _codec.ReceiveSequenceWrapped)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "Sequence number wrapped during the first strict key exchange");
        }
        if (_receiveKexState == ReceiveKexState.Idle && _sendGate is null && RekeyDue())
        {
            await RequestRekeyAsync(cancellationToken).ConfigureAwait(false);
        }
        return payload;
    }

    private bool RekeyDue() =>
        _sessionId is not null
        && _receiveKexState == ReceiveKexState.Idle
        && (_codec.BytesSent + _codec.BytesReceived - _bytesAtLastKex >= _options.RekeyBytes
            || _time.GetUtcNow() - _lastKexTime >= _options.RekeyInterval);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _sendGate?.TrySetCanceled();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _codec.Dispose();
        _kexMethod?.Dispose();
    }
}
