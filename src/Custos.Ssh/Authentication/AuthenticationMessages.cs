using Custos.Ssh.Transport;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Authentication;

// RFC 4252 user authentication and RFC 4256 keyboard-interactive messages.

/// <summary>
/// SSH_MSG_USERAUTH_REQUEST (RFC 4252 §5): user, service and method, then method-specific fields. Decoding
/// picks the subtype from the method name; an unknown method keeps its fields raw.
/// </summary>
internal abstract record UserAuthRequestMessage(string UserName, string ServiceName) : ISshMessage<UserAuthRequestMessage>
{
    public static byte Number => MessageNumber.UserAuthRequest;

    public abstract string MethodName { get; }

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(UserName);
        writer.WriteUtf8String(ServiceName);
        writer.WriteUtf8String(MethodName);
        WriteMethodFields(writer);
    }

    private protected abstract void WriteMethodFields(SshWriter writer);

    public static UserAuthRequestMessage ReadBody(ref SshReader reader)
    {
        var user = reader.ReadUtf8String();
        var service = reader.ReadUtf8String();
        var method = reader.ReadUtf8String();
        switch (method)
        {
            case "none":
                return new UserAuthNoneRequest(user, service);
            case "publickey":
                var signed = reader.ReadBoolean();
                var algorithm = reader.ReadUtf8String();
                var key = reader.ReadString().ToArray();
                // Not a conditional expression: null would convert to an empty ReadOnlyMemory through byte[], not to "no signature".
                ReadOnlyMemory<byte>? signature = null;
                if (signed)
                {
                    signature = reader.ReadString().ToArray();
                }
                return new UserAuthPublicKeyRequest(user, service, algorithm, key, signature);
            case "keyboard-interactive":
                return new UserAuthKeyboardInteractiveRequest(user, service, reader.ReadUtf8String(), reader.ReadUtf8String());
            default:
                return new UserAuthOtherRequest(user, service, method, RemainingFields(ref reader));
        }
    }

    private static byte[] RemainingFields(ref SshReader reader) => reader.ReadBytes(reader.Remaining).ToArray();
}

/// <summary>The "none" method (RFC 4252 §5.2): asks which methods may continue.</summary>
internal sealed record UserAuthNoneRequest(string UserName, string ServiceName) : UserAuthRequestMessage(UserName, ServiceName)
{
    public override string MethodName => "none";

    private protected override void WriteMethodFields(SshWriter writer)
    {
    }
}

/// <summary>The "publickey" method (RFC 4252 §7): a query when <see cref="Signature"/> is null, else a signed attempt.</summary>
internal sealed record UserAuthPublicKeyRequest(string UserName, string ServiceName, string Algorithm, ReadOnlyMemory<byte> KeyBlob, ReadOnlyMemory<byte>? Signature)
    : UserAuthRequestMessage(UserName, ServiceName)
{
    public override string MethodName => "publickey";

    private protected override void WriteMethodFields(SshWriter writer)
    {
        writer.WriteBoolean(Signature is not null);
        writer.WriteUtf8String(Algorithm);
        writer.WriteString(KeyBlob.Span);
        if (Signature is { } signature)
        {
            writer.WriteString(signature.Span);
        }
    }
}

/// <summary>The "keyboard-interactive" method (RFC 4256 §3.1).</summary>
internal sealed record UserAuthKeyboardInteractiveRequest(string UserName, string ServiceName, string Language, string Submethods)
    : UserAuthRequestMessage(UserName, ServiceName)
{
    public override string MethodName => "keyboard-interactive";

    private protected override void WriteMethodFields(SshWriter writer)
    {
        writer.WriteUtf8String(Language);
        writer.WriteUtf8String(Submethods);
    }
}

/// <summary>A method we do not implement (password, hostbased, …): its fields kept raw so it can be refused.</summary>
internal sealed record UserAuthOtherRequest(string UserName, string ServiceName, string Method, ReadOnlyMemory<byte> MethodFields)
    : UserAuthRequestMessage(UserName, ServiceName)
{
    public override string MethodName => Method;

    private protected override void WriteMethodFields(SshWriter writer) => writer.WriteRaw(MethodFields.Span);
}

/// <summary>SSH_MSG_USERAUTH_FAILURE (RFC 4252 §5.1).</summary>
internal sealed record UserAuthFailureMessage(IReadOnlyList<string> MethodsThatCanContinue, bool PartialSuccess) : ISshMessage<UserAuthFailureMessage>
{
    public static byte Number => MessageNumber.UserAuthFailure;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteNameList(MethodsThatCanContinue);
        writer.WriteBoolean(PartialSuccess);
    }

    public static UserAuthFailureMessage ReadBody(ref SshReader reader) => new(reader.ReadNameList(), reader.ReadBoolean());
}

/// <summary>SSH_MSG_USERAUTH_SUCCESS (RFC 4252 §5.1).</summary>
internal sealed record UserAuthSuccessMessage : ISshMessage<UserAuthSuccessMessage>
{
    public static byte Number => MessageNumber.UserAuthSuccess;

    public void WriteBody(SshWriter writer)
    {
    }

    public static UserAuthSuccessMessage ReadBody(ref SshReader reader) => new();
}

/// <summary>SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4).</summary>
internal sealed record UserAuthBannerMessage(string Message, string Language) : ISshMessage<UserAuthBannerMessage>
{
    public static byte Number => MessageNumber.UserAuthBanner;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Message);
        writer.WriteUtf8String(Language);
    }

    public static UserAuthBannerMessage ReadBody(ref SshReader reader) => new(reader.ReadUtf8String(), reader.ReadUtf8String());
}

/// <summary>SSH_MSG_USERAUTH_PK_OK (RFC 4252 §7): the key of a publickey query is acceptable.</summary>
internal sealed record UserAuthPkOkMessage(string Algorithm, ReadOnlyMemory<byte> KeyBlob) : ISshMessage<UserAuthPkOkMessage>
{
    public static byte Number => MessageNumber.UserAuthPkOk;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Algorithm);
        writer.WriteString(KeyBlob.Span);
    }

    public static UserAuthPkOkMessage ReadBody(ref SshReader reader) => new(reader.ReadUtf8String(), reader.ReadString().ToArray());
}

/// <summary>SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 §3.2); shares number 60 with PK_OK, so the method in progress decides.</summary>
internal sealed record UserAuthInfoRequestMessage(string Name, string Instruction, string Language, IReadOnlyList<(string Prompt, bool Echo)> Prompts)
    : ISshMessage<UserAuthInfoRequestMessage>
{
    /// <summary>More prompts than a person answers; a larger count is hostile input.</summary>
    public const int MaxPrompts = 64;

    public static byte Number => MessageNumber.UserAuthInfoRequest;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUtf8String(Name);
        writer.WriteUtf8String(Instruction);
        writer.WriteUtf8String(Language);
        writer.WriteUInt32((uint)Prompts.Count);
        foreach (var (prompt, echo) in Prompts)
        {
            writer.WriteUtf8String(prompt);
            writer.WriteBoolean(echo);
        }
    }

    public static UserAuthInfoRequestMessage ReadBody(ref SshReader reader)
    {
        var name = reader.ReadUtf8String();
        var instruction = reader.ReadUtf8String();
        var language = reader.ReadUtf8String();
        var count = reader.ReadUInt32();
        if (count > MaxPrompts)
        {
            throw new SshFormatException($"Too many keyboard-interactive prompts ({count}, at most {MaxPrompts}).");
        }
        var prompts = new List<(string, bool)>((int)count);
        for (var i = 0; i < count; i++)
        {
            prompts.Add((reader.ReadUtf8String(), reader.ReadBoolean()));
        }
        return new UserAuthInfoRequestMessage(name, instruction, language, prompts);
    }
}

/// <summary>SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256 §3.4).</summary>
internal sealed record UserAuthInfoResponseMessage(IReadOnlyList<string> Responses) : ISshMessage<UserAuthInfoResponseMessage>
{
    public static byte Number => MessageNumber.UserAuthInfoResponse;

    public void WriteBody(SshWriter writer)
    {
        writer.WriteUInt32((uint)Responses.Count);
        foreach (var response in Responses)
        {
            writer.WriteUtf8String(response);
        }
    }

    public static UserAuthInfoResponseMessage ReadBody(ref SshReader reader)
    {
        var count = reader.ReadUInt32();
        if (count > UserAuthInfoRequestMessage.MaxPrompts)
        {
            throw new SshFormatException($"Too many keyboard-interactive responses ({count}, at most {UserAuthInfoRequestMessage.MaxPrompts}).");
        }
        var responses = new List<string>((int)count);
        for (var i = 0; i < count; i++)
        {
            responses.Add(reader.ReadUtf8String());
        }
        return new UserAuthInfoResponseMessage(responses);
    }
}
