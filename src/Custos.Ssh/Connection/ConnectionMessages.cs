using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

// RFC 4254 connection protocol messages (§4 global requests, §5 channels). Type-specific bytes stay raw
// here (verbatim, so a gateway can forward them); ConnectionRequestData.cs types them.

/// <summary>SSH_MSG_GLOBAL_REQUEST (RFC 4254 §4).</summary>
internal sealed record GlobalRequestMessage(string Name, bool WantReply, ReadOnlyMemory<byte> Data) : ISshMessage<GlobalRequestMessage>
{
    public static byte Number => MessageNumber.GlobalRequest;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Name);
        writer.WriteBoolean(WantReply);
        writer.WriteRaw(Data.Span);
    }

    public static GlobalRequestMessage ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadBoolean(), ReadRest(ref reader));

    internal static byte[] ReadRest(ref SshReader reader) => reader.ReadBytes(reader.Remaining).ToArray();
}

/// <summary>SSH_MSG_REQUEST_SUCCESS (RFC 4254 §4) with its request-specific response data.</summary>
internal sealed record RequestSuccessMessage(ReadOnlyMemory<byte> Data) : ISshMessage<RequestSuccessMessage>
{
    public static byte Number => MessageNumber.RequestSuccess;

    public void WriteBody(SshWriter writer) => writer.WriteRaw(Data.Span);

    public static RequestSuccessMessage ReadBody(ref SshReader reader) => new(GlobalRequestMessage.ReadRest(ref reader));
}

/// <summary>SSH_MSG_REQUEST_FAILURE (RFC 4254 §4).</summary>
internal sealed record RequestFailureMessage : ISshMessage<RequestFailureMessage>
{
    public static byte Number => MessageNumber.RequestFailure;

    public void WriteBody(SshWriter writer)
    {
    }

    public static RequestFailureMessage ReadBody(ref SshReader reader) => new();
}

/// <summary>SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1).</summary>
internal sealed record ChannelOpenMessage(string ChannelType, uint SenderChannel, uint InitialWindowSize, uint MaximumPacketSize, ReadOnlyMemory<byte> Data)
    : ISshMessage<ChannelOpenMessage>
{
    public static byte Number => MessageNumber.ChannelOpen;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(ChannelType);
        writer.WriteUInt32(SenderChannel);
        writer.WriteUInt32(InitialWindowSize);
        writer.WriteUInt32(MaximumPacketSize);
        writer.WriteRaw(Data.Span);
    }

    public static ChannelOpenMessage ReadBody(ref SshReader reader) =>
        new(reader.ReadUtf8String(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), GlobalRequestMessage.ReadRest(ref reader));
}

/// <summary>SSH_MSG_CHANNEL_OPEN_CONFIRMATION (RFC 4254 §5.1); <see cref="Data"/> is channel-type specific (empty for every type we use).</summary>
internal sealed record ChannelOpenConfirmationMessage(uint RecipientChannel, uint SenderChannel, uint InitialWindowSize, uint MaximumPacketSize, ReadOnlyMemory<byte> Data)
    : ISshMessage<ChannelOpenConfirmationMessage>
{
    public static byte Number => MessageNumber.ChannelOpenConfirmation;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32(SenderChannel);
        writer.WriteUInt32(InitialWindowSize);
        writer.WriteUInt32(MaximumPacketSize);
        writer.WriteRaw(Data.Span);
    }

    public static ChannelOpenConfirmationMessage ReadBody(ref SshReader reader) =>
        new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), GlobalRequestMessage.ReadRest(ref reader));
}

/// <summary>SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1).</summary>
internal sealed record ChannelOpenFailureMessage(uint RecipientChannel, ChannelOpenFailureReason Reason, string Description, string Language)
    : ISshMessage<ChannelOpenFailureMessage>
{
    public static byte Number => MessageNumber.ChannelOpenFailure;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32((uint)Reason);
        writer.WriteUtf8String(Description);
        writer.WriteUtf8String(Language);
    }

    public static ChannelOpenFailureMessage ReadBody(ref SshReader reader) =>
        new(reader.ReadUInt32(), (ChannelOpenFailureReason)reader.ReadUInt32(), reader.ReadUtf8String(), reader.ReadUtf8String());
}

/// <summary>SSH_MSG_CHANNEL_WINDOW_ADJUST (RFC 4254 §5.2).</summary>
internal sealed record ChannelWindowAdjustMessage(uint RecipientChannel, uint BytesToAdd) : ISshMessage<ChannelWindowAdjustMessage>
{
    public static byte Number => MessageNumber.ChannelWindowAdjust;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32(BytesToAdd);
    }

    public static ChannelWindowAdjustMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32(), reader.ReadUInt32());
}

/// <summary>SSH_MSG_CHANNEL_DATA (RFC 4254 §5.2).</summary>
internal sealed record ChannelDataMessage(uint RecipientChannel, ReadOnlyMemory<byte> Data) : ISshMessage<ChannelDataMessage>
{
    public static byte Number => MessageNumber.ChannelData;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteString(Data.Span);
    }

    public static ChannelDataMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32(), reader.ReadString().ToArray());
}

/// <summary>SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2); type 1 is stderr.</summary>
internal sealed record ChannelExtendedDataMessage(uint RecipientChannel, uint DataType, ReadOnlyMemory<byte> Data) : ISshMessage<ChannelExtendedDataMessage>
{
    public static byte Number => MessageNumber.ChannelExtendedData;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32(DataType);
        writer.WriteString(Data.Span);
    }

    public static ChannelExtendedDataMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadString().ToArray());
}

/// <summary>SSH_MSG_CHANNEL_EOF (RFC 4254 §5.3).</summary>
internal sealed record ChannelEofMessage(uint RecipientChannel) : ISshMessage<ChannelEofMessage>
{
    public static byte Number => MessageNumber.ChannelEof;

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(RecipientChannel);

    public static ChannelEofMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3).</summary>
internal sealed record ChannelCloseMessage(uint RecipientChannel) : ISshMessage<ChannelCloseMessage>
{
    public static byte Number => MessageNumber.ChannelClose;

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(RecipientChannel);

    public static ChannelCloseMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4); <see cref="Data"/> holds the request-specific bytes verbatim.</summary>
internal sealed record ChannelRequestMessage(uint RecipientChannel, string RequestType, bool WantReply, ReadOnlyMemory<byte> Data) : ISshMessage<ChannelRequestMessage>
{
    public static byte Number => MessageNumber.ChannelRequest;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUtf8String(RequestType);
        writer.WriteBoolean(WantReply);
        writer.WriteRaw(Data.Span);
    }

    public static ChannelRequestMessage ReadBody(ref SshReader reader) =>
        new(reader.ReadUInt32(), reader.ReadUtf8String(), reader.ReadBoolean(), GlobalRequestMessage.ReadRest(ref reader));
}

/// <summary>SSH_MSG_CHANNEL_SUCCESS (RFC 4254 §5.4).</summary>
internal sealed record ChannelSuccessMessage(uint RecipientChannel) : ISshMessage<ChannelSuccessMessage>
{
    public static byte Number => MessageNumber.ChannelSuccess;

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(RecipientChannel);

    public static ChannelSuccessMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}

/// <summary>SSH_MSG_CHANNEL_FAILURE (RFC 4254 §5.4).</summary>
internal sealed record ChannelFailureMessage(uint RecipientChannel) : ISshMessage<ChannelFailureMessage>
{
    public static byte Number => MessageNumber.ChannelFailure;

    public void WriteBody(SshWriter writer) => writer.WriteUInt32(RecipientChannel);

    public static ChannelFailureMessage ReadBody(ref SshReader reader) => new(reader.ReadUInt32());
}
