using System.Net;
using System.Net.Sockets;
using System.Text;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Support;

/// <summary>A hand-made SSH client speaking raw packets, for attacks and malformed input.</summary>
internal sealed class RawSshPeer : IDisposable
{
    private readonly TcpClient _tcp = new();
    private readonly NetworkStream _stream;
    private readonly PacketCodec _codec;

    public RawSshPeer(int port)
    {
        _tcp.Connect(IPAddress.Loopback, port);
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 10_000;
        _codec = new PacketCodec(_stream);
        _stream.Write("SSH-2.0-RawPeer_1.0\r\n"u8);
        var line = new StringBuilder();
        int b;
        while ((b = _stream.ReadByte()) is not -1 and not '\n')
        {
            line.Append((char)b);
        }
        ServerVersion = line.ToString().TrimEnd('\r');
    }

    public string ServerVersion { get; }

    public NetworkStream Stream => _stream;

    public void Send(ReadOnlySpan<byte> payload) => _codec.WriteAsync(payload.ToArray(), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public void SendRaw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    /// <summary>The next payload, or null at end of stream.</summary>
    public byte[]? Receive()
    {
        try
        {
            var payload = _codec.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return payload.IsEmpty ? null : payload.ToArray();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads until a DISCONNECT arrives and returns its reason, or null if the stream just ends.</summary>
    public DisconnectReason? ReceiveDisconnect()
    {
        while (Receive() is { } payload)
        {
            if (payload[0] == MessageNumber.Disconnect)
            {
                return (DisconnectReason)new SshReader(payload.AsSpan(1)).ReadUInt32();
            }
        }
        return null;
    }

    public static byte[] Ignore()
    {
        var writer = new SshWriter();
        writer.WriteByte(MessageNumber.Ignore);
        writer.WriteString("padding"u8);
        return writer.ToArray();
    }

    public static byte[] KexInit(bool strict) => new KexInitMessage
    {
        KeyExchange = strict ? [KeyExchangeNames.Curve25519Sha256, KeyExchangeNames.StrictClient] : [KeyExchangeNames.Curve25519Sha256],
        HostKey = ["ssh-ed25519"],
        CiphersClientToServer = ["aes256-gcm@openssh.com"],
        CiphersServerToClient = ["aes256-gcm@openssh.com"],
        MacsClientToServer = ["hmac-sha2-256-etm@openssh.com"],
        MacsServerToClient = ["hmac-sha2-256-etm@openssh.com"],
    }.Encode();

    public void Dispose()
    {
        _codec.Dispose();
        _tcp.Dispose();
    }
}
