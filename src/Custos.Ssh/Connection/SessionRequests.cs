using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

/// <summary>Parsers and encoders for RFC 4254 §6 session channel requests.</summary>
public static class SessionRequests
{
    public sealed record PseudoTerminal(string Term, uint Columns, uint Rows, uint WidthPixels, uint HeightPixels, ReadOnlyMemory<byte> Modes);

    /// <summary>pty-req (§6.2).</summary>
    public static PseudoTerminal ParsePtyRequest(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var term = reader.ReadUtf8String();
        var cols = reader.ReadUInt32();
        var rows = reader.ReadUInt32();
        var width = reader.ReadUInt32();
        var height = reader.ReadUInt32();
        var modes = reader.ReadString().ToArray();
        reader.EnsureEnd("pty-req");
        return new PseudoTerminal(term, cols, rows, width, height, modes);
    }

    /// <summary>env (§6.4): name and value.</summary>
    public static (string Name, string Value) ParseEnv(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var name = reader.ReadUtf8String();
        var value = reader.ReadUtf8String();
        reader.EnsureEnd("env");
        return (name, value);
    }

    /// <summary>exec (§6.5) command, subsystem (§6.5) name: one string.</summary>
    public static string ParseSingleString(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var value = reader.ReadUtf8String();
        reader.EnsureEnd("request");
        return value;
    }

    /// <summary>window-change (§6.7).</summary>
    public static (uint Columns, uint Rows, uint WidthPixels, uint HeightPixels) ParseWindowChange(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var result = (reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32());
        reader.EnsureEnd("window-change");
        return result;
    }

    /// <summary>exit-status (§6.10).</summary>
    public static uint ParseExitStatus(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var status = reader.ReadUInt32();
        reader.EnsureEnd("exit-status");
        return status;
    }

    /// <summary>exit-signal (§6.10).</summary>
    public static (string Signal, bool CoreDumped, string Message) ParseExitSignal(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        var signal = reader.ReadUtf8String();
        var core = reader.ReadBoolean();
        var message = reader.ReadUtf8String();
        reader.ReadUtf8String();
        reader.EnsureEnd("exit-signal");
        return (signal, core, message);
    }

    public static byte[] EncodeString(string value)
    {
        var writer = new SshWriter();
        writer.WriteUtf8String(value);
        return writer.ToArray();
    }

    public static byte[] EncodeExitStatus(uint status)
    {
        var writer = new SshWriter();
        writer.WriteUInt32(status);
        return writer.ToArray();
    }

    public static byte[] EncodeExitSignal(string signal, bool coreDumped, string message)
    {
        var writer = new SshWriter();
        writer.WriteUtf8String(signal);
        writer.WriteBoolean(coreDumped);
        writer.WriteUtf8String(message);
        writer.WriteUtf8String("");
        return writer.ToArray();
    }

    public static byte[] EncodePtyRequest(string term, uint columns, uint rows)
    {
        var writer = new SshWriter();
        writer.WriteUtf8String(term);
        writer.WriteUInt32(columns);
        writer.WriteUInt32(rows);
        writer.WriteUInt32(0);
        writer.WriteUInt32(0);
        writer.WriteString([0]); // TTY_OP_END
        return writer.ToArray();
    }
}
