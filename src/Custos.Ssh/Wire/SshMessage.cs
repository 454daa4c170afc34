namespace Custos.Ssh.Wire;

/// <summary>
/// A typed SSH message: one record per message, the single definition of its wire layout (RFC 4251 §5
/// types in the order of the RFC's message description). The message number is written and checked by
/// <see cref="SshMessage"/>, not by the record.
/// </summary>
internal interface ISshMessage<TSelf> where TSelf : ISshMessage<TSelf>
{
    /// <summary>The message number (RFC 4250 §4.1).</summary>
    static abstract byte Number { get; }

    /// <summary>Writes the fields after the message number.</summary>
    void WriteBody(SshWriter writer);

    /// <summary>Reads the fields after the message number; the caller checks that nothing follows.</summary>
    static abstract TSelf ReadBody(ref SshReader reader);
}

/// <summary>
/// The type-specific part of a channel open, a global request or a channel request (RFC 4254 §4, §5.1,
/// §5.4): the bytes after the generic fields, identified by the open or request type name.
/// </summary>
internal interface ISshTypeSpecificData<TSelf> where TSelf : ISshTypeSpecificData<TSelf>
{
    /// <summary>The channel type or request name that carries this data.</summary>
    static abstract string TypeName { get; }

    void WriteBody(SshWriter writer);

    static abstract TSelf ReadBody(ref SshReader reader);
}

/// <summary>Encodes and decodes <see cref="ISshMessage{TSelf}"/> and <see cref="ISshTypeSpecificData{TSelf}"/> records.</summary>
internal static class SshMessage
{
    public static byte[] Encode<T>(T message) where T : ISshMessage<T>
    {
        var writer = new SshWriter();
        WriteTo(message, writer);
        return writer.ToArray();
    }

    /// <summary>Writes number and body into <paramref name="writer"/> (hot paths reuse a sized writer).</summary>
    public static void WriteTo<T>(T message, SshWriter writer) where T : ISshMessage<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(T.Number);
        message.WriteBody(writer);
    }

    /// <summary>Decodes a whole payload: the number must match and nothing may follow the last field.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> payload) where T : ISshMessage<T>
    {
        var reader = new SshReader(payload);
        var number = reader.ReadByte();
        if (number != T.Number)
        {
            throw new SshFormatException($"Expected message {T.Number} ({typeof(T).Name}), got {number}.");
        }
        var message = T.ReadBody(ref reader);
        reader.EnsureEnd(typeof(T).Name);
        return message;
    }

    public static byte[] EncodeData<T>(T data) where T : ISshTypeSpecificData<T>
    {
        var writer = new SshWriter();
        data.WriteBody(writer);
        return writer.ToArray();
    }

    /// <summary>Decodes type-specific bytes; nothing may follow the last field.</summary>
    public static T DecodeData<T>(ReadOnlySpan<byte> data) where T : ISshTypeSpecificData<T>
    {
        var reader = new SshReader(data);
        var value = T.ReadBody(ref reader);
        reader.EnsureEnd(T.TypeName);
        return value;
    }
}
