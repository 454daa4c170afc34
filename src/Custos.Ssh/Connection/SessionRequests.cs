using Custos.Ssh.Wire;

namespace Custos.Ssh.Connection;

/// <summary>Parsers and encoders for RFC 4254 §6 session channel requests (a public face of the records in ConnectionRequestData.cs).</summary>
public static class SessionRequests
{
    public sealed record PseudoTerminal(string Term, uint Columns, uint Rows, uint WidthPixels, uint HeightPixels, ReadOnlyMemory<byte> Modes);

    /// <summary>pty-req (§6.2).</summary>
    public static PseudoTerminal ParsePtyRequest(ReadOnlySpan<byte> payload)
    {
        var pty = SshMessage.DecodeData<PtyRequest>(payload);
        return new PseudoTerminal(pty.Term, pty.Columns, pty.Rows, pty.WidthPixels, pty.HeightPixels, pty.Modes);
    }

    /// <summary>env (§6.4): name and value.</summary>
    public static (string Name, string Value) ParseEnv(ReadOnlySpan<byte> payload)
    {
        var env = SshMessage.DecodeData<EnvRequest>(payload);
        return (env.Name, env.Value);
    }

    /// <summary>exec (§6.5) command, subsystem (§6.5) name, signal (§6.9) name: one string.</summary>
    public static string ParseSingleString(ReadOnlySpan<byte> payload) => SshMessage.DecodeData<ExecRequest>(payload).Command;

    /// <summary>window-change (§6.7).</summary>
    public static (uint Columns, uint Rows, uint WidthPixels, uint HeightPixels) ParseWindowChange(ReadOnlySpan<byte> payload)
    {
        var change = SshMessage.DecodeData<WindowChangeRequest>(payload);
        return (change.Columns, change.Rows, change.WidthPixels, change.HeightPixels);
    }

    /// <summary>exit-status (§6.10).</summary>
    public static uint ParseExitStatus(ReadOnlySpan<byte> payload) => SshMessage.DecodeData<ExitStatusRequest>(payload).ExitStatus;

    /// <summary>exit-signal (§6.10).</summary>
    public static (string Signal, bool CoreDumped, string Message) ParseExitSignal(ReadOnlySpan<byte> payload)
    {
        var signal = SshMessage.DecodeData<ExitSignalRequest>(payload);
        return (signal.SignalName, signal.CoreDumped, signal.ErrorMessage);
    }

    public static byte[] EncodeString(string value) => SshMessage.EncodeData(new ExecRequest(value));

    public static byte[] EncodeExitStatus(uint status) => SshMessage.EncodeData(new ExitStatusRequest(status));

    public static byte[] EncodeExitSignal(string signal, bool coreDumped, string message) =>
        SshMessage.EncodeData(new ExitSignalRequest(signal, coreDumped, message, ""));

    public static byte[] EncodePtyRequest(string term, uint columns, uint rows) =>
        SshMessage.EncodeData(new PtyRequest(term, columns, rows, 0, 0, new byte[] { 0 })); // modes: TTY_OP_END only
}
