using Custos.Ssh.Wire;

namespace Custos.Ssh.Transport;

// RFC 4253 §10-§11 and §7-§8 transport messages, RFC 8308 EXT_INFO, and the ECDH-shaped key exchange
// messages of RFC 5656 §4 / RFC 8731 §3 that the hybrid post-quantum methods reuse with longer values.
// KEXINIT is KeyExchange/KexInitMessage.cs.

/// <summary>SSH_MSG_DISCONNECT (RFC 4253 §11.1).</summary>
internal sealed record DisconnectMessage(DisconnectReason Reason, string Description, string Language) : ISshMessage<DisconnectMessage>
{
    public static byte Number => MessageNumber.Disconnect;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32((uint)Reason);
        writer.WriteUtf8String(Description);
        writer.WriteUtf8String(Language);
    }

    public static DisconnectMessage ReadBody(ref SshReader reader) => new((DisconnectReason)reader.ReadUInt32(), reader.ReadUtf8String(), reader.ReadUtf8String());
}

/// <summary>SSH_MSG_IGNORE (RFC 4253 §11.2).</summary>
internal sealed record IgnoreMessage(ReadOnlyMemory<byte> Data) : ISshMessage<IgnoreMessage>
{
    public static byte Number => MessageNumber.Ignore;

    public void WriteBody(SshWriter writer) => writer.WriteString(Data.Span);

    public static IgnoreMessage ReadBody(ref SshReader reader) => new(reader.ReadString().ToArray());
}

/// <summary>SSH_MSG_UNIMPLEMENTED (RFC 4253 §11.4): the sequence number of the rejected packet.</summary>
internal sealed record UnimplementedMessage(uint SequenceNumber) : ISshMessage<UnimplementedMessage>
{
    public static byte Number => MessageNumber.Unimplemented;

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(SequenceNumber);

    public static UnimplementedMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>SSH_MSG_DEBUG (RFC 4253 §11.3).</summary>
internal sealed record DebugMessage(bool AlwaysDisplay, string Message, string Language) : ISshMessage<DebugMessage>
{
    public static byte Number => MessageNumber.Debug;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteBoolean(AlwaysDisplay);
        writer.WriteUtf8String(Message);
        writer.WriteUtf8String(Language);
    }

    public static DebugMessage ReadBody(ref SshReader reader) => new(reader.ReadBoolean(), reader.ReadUtf8String(), reader.ReadUtf8String());
}

/// <summary>SSH_MSG_SERVICE_REQUEST (RFC 4253 §10).</summary>
internal sealed record ServiceRequestMessage(string ServiceName) : ISshMessage<ServiceRequestMessage>
{
    public static byte Number => MessageNumber.ServiceRequest;

    public void WriteBody(SshWriter writer) => writer.WriteUtf8String(ServiceName);

    public static ServiceRequestMessage ReadBody(ref SshReader reader) => new(reader.ReadUtf8String());
}

/// <summary>SSH_MSG_SERVICE_ACCEPT (RFC 4253 §10).</summary>
internal sealed record ServiceAcceptMessage(string ServiceName) : ISshMessage<ServiceAcceptMessage>
{
    public static byte Number => MessageNumber.ServiceAccept;

    public void WriteBody(SshWriter writer) => writer.WriteUtf8String(ServiceName);

    public static ServiceAcceptMessage ReadBody(ref SshReader reader) => new(reader.ReadUtf8String());
}

/// <summary>SSH_MSG_EXT_INFO (RFC 8308 §2.3): extension names with opaque values.</summary>
internal sealed record ExtInfoMessage(IReadOnlyList<(string Name, ReadOnlyMemory<byte> Value)> Extensions) : ISshMessage<ExtInfoMessage>
{
    /// <summary>More extensions than anyone defines; a larger count is hostile input.</summary>
    public const int MaxExtensions = 64;

    public static byte Number => MessageNumber.ExtInfo;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32((uint)Extensions.Count);
        foreach (var (name, value) in Extensions)
        {
            writer.WriteUtf8String(name);
            writer.WriteString(value.Span);
        }
    }

    public static ExtInfoMessage ReadBody(ref SshReader reader)
    {
        var count = reader.ReadUInt32();
        if (count > MaxExtensions)
        {
            throw new SshFormatException($"EXT_INFO announces {count} extensions (at most {MaxExtensions}).");
        }
        var extensions = new List<(string, ReadOnlyMemory<byte>)>((int)count);
        for (var i = 0; i < count; i++)
        {
            extensions.Add((reader.ReadUtf8String(), reader.ReadString().ToArray()));
        }
        return new ExtInfoMessage(extensions);
    }
}

/// <summary>SSH_MSG_NEWKEYS (RFC 4253 §7.3).</summary>
internal sealed record NewKeysMessage : ISshMessage<NewKeysMessage>
{
    public static byte Number => MessageNumber.NewKeys;

    public void WriteBody(SshWriter writer)
    {
    }

    public static NewKeysMessage ReadBody(ref SshReader reader) => new();
}

/// <summary>
/// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §4, RFC 8731 §3): Q_C. For the hybrids Q_C is the KEM public key followed
/// by the X25519 public key (draft-ietf-sshm-mlkem-hybrid-kex §2.2; OpenSSH's sntrup761x25519-sha512).
/// </summary>
internal sealed record KexEcdhInitMessage(ReadOnlyMemory<byte> ClientPublic) : ISshMessage<KexEcdhInitMessage>
{
    public static byte Number => MessageNumber.KexEcdhInit;

    public void WriteBody(SshWriter writer) => writer.WriteString(ClientPublic.Span);

    public static KexEcdhInitMessage ReadBody(ref SshReader reader) => new(reader.ReadString().ToArray());
}

/// <summary>
/// SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §4): K_S, Q_S and the signature of H. For the hybrids Q_S is the KEM
/// ciphertext followed by the server's X25519 public key.
/// </summary>
internal sealed record KexEcdhReplyMessage(ReadOnlyMemory<byte> HostKey, ReadOnlyMemory<byte> ServerPublic, ReadOnlyMemory<byte> Signature) : ISshMessage<KexEcdhReplyMessage>
{
    public static byte Number => MessageNumber.KexEcdhReply;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteString(HostKey.Span);
        writer.WriteString(ServerPublic.Span);
        writer.WriteString(Signature.Span);
    }

    public static KexEcdhReplyMessage ReadBody(ref SshReader reader) => new(reader.ReadString().ToArray(), reader.ReadString().ToArray(), reader.ReadString().ToArray());
}

/// <summary>
/// The two halves of a hybrid key exchange value (Q_C = KEM public key || X25519 key, Q_S = KEM ciphertext ||
/// X25519 key); <see cref="Split"/> checks the total length before splitting.
/// </summary>
internal readonly record struct HybridKexValue(ReadOnlyMemory<byte> Kem, ReadOnlyMemory<byte> X25519)
{
    public const int X25519Length = 32;

    public byte[] Encode() => [.. Kem.Span, .. X25519.Span];

    public static HybridKexValue Split(ReadOnlyMemory<byte> value, int kemLength) =>
        value.Length == kemLength + X25519Length
            ? new HybridKexValue(value[..kemLength], value[kemLength..])
            : throw new SshFormatException($"Hybrid key exchange value must be {kemLength + X25519Length} bytes, not {value.Length}.");
}
