using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Custos.Ssh.Connection;
using Custos.Ssh.Server;

namespace Custos.Ssh.Tests.Support;

/// <summary>
/// Channel handlers the tests plug into our server. The library never runs local programs; these test
/// handlers do: exec runs a command without a terminal, the sftp subsystem runs the real sftp-server,
/// a shell is an echo loop, direct-tcpip connects to the requested loopback port.
/// </summary>
internal static class TestChannelHandlers
{
    public const string SftpServer = "/usr/lib/openssh/sftp-server";

    public static ValueTask<ChannelOpenDecision> Handle(SshServerSession session, SshChannelOpenRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.ChannelType switch
        {
            "session" => ChannelOpenDecision.Accept(RunSessionAsync),
            "direct-tcpip" => ChannelOpenDecision.Accept((channel, token) => RunDirectTcpipAsync(channel, request, token)),
            _ => ChannelOpenDecision.Refuse(ChannelOpenFailureReason.UnknownChannelType, "Unknown channel type"),
        });

    private static async Task RunSessionAsync(SshChannel channel, CancellationToken cancellationToken)
    {
        SessionRequests.PseudoTerminal? pty = null;
        var environment = new Dictionary<string, string>();
        while (await channel.ReceiveAsync(cancellationToken) is { } message)
        {
            if (message is not SshChannelRequest request)
            {
                continue;
            }
            switch (request.Type)
            {
                case "pty-req":
                    pty = SessionRequests.ParsePtyRequest(request.Payload.Span);
                    await request.ReplyAsync(true);
                    break;
                case "env":
                    var (name, value) = SessionRequests.ParseEnv(request.Payload.Span);
                    environment[name] = value;
                    await request.ReplyAsync(true);
                    break;
                case "exec":
                    await request.ReplyAsync(true);
                    await RunProcessAsync(channel, "/bin/sh", ["-c", SessionRequests.ParseSingleString(request.Payload.Span)], environment, cancellationToken);
                    return;
                case "subsystem" when SessionRequests.ParseSingleString(request.Payload.Span) == "sftp":
                    await request.ReplyAsync(true);
                    await RunProcessAsync(channel, SftpServer, ["-e"], environment, cancellationToken);
                    return;
                case "shell":
                    await request.ReplyAsync(true);
                    await RunEchoShellAsync(channel, pty, cancellationToken);
                    return;
                default:
                    await request.ReplyAsync(false);
                    break;
            }
        }
    }

    private static async Task RunProcessAsync(SshChannel channel, string program, string[] arguments, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdin = PumpToProcessAsync(channel, process.StandardInput.BaseStream, () => process.StandardInput.Close(), cancellationToken);
        var stdout = PumpFromProcessAsync(process.StandardOutput.BaseStream, data => channel.SendDataAsync(data, cancellationToken));
        var stderr = PumpFromProcessAsync(process.StandardError.BaseStream, data => channel.SendExtendedDataAsync(1, data, cancellationToken));
        await Task.WhenAll(stdout, stderr);
        await process.WaitForExitAsync(cancellationToken);
        await channel.SendRequestAsync("exit-status", SessionRequests.EncodeExitStatus((uint)process.ExitCode), wantReply: false, cancellationToken);
        await channel.SendEofAsync(cancellationToken);
        await channel.CloseAsync(cancellationToken);
        await stdin.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task PumpToProcessAsync(SshChannel channel, Stream stdin, Action closeInput, CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.ReceiveAsync(cancellationToken) is { } message)
            {
                if (message is SshChannelData { ExtendedType: null } data)
                {
                    await stdin.WriteAsync(data.Data, cancellationToken);
                    await stdin.FlushAsync(cancellationToken);
                }
                else if (message is SshChannelEof)
                {
                    break;
                }
                else if (message is SshChannelRequest request)
                {
                    await request.ReplyAsync(false);
                }
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            try
            {
                closeInput();
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task PumpFromProcessAsync(Stream output, Func<ReadOnlyMemory<byte>, ValueTask> send)
    {
        var buffer = new byte[32 * 1024];
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
        {
            await send(buffer.AsMemory(0, read));
        }
    }

    /// <summary>A terminal-style echo loop: greets with the terminal type, echoes input, ends on "exit".</summary>
    private static async Task RunEchoShellAsync(SshChannel channel, SessionRequests.PseudoTerminal? pty, CancellationToken cancellationToken)
    {
        var greeting = pty is null ? "custos echo shell (no pty)\r\n" : $"custos echo shell term={pty.Term} cols={pty.Columns}\r\n";
        await channel.SendDataAsync(Encoding.UTF8.GetBytes(greeting), cancellationToken);
        var line = new StringBuilder();
        while (await channel.ReceiveAsync(cancellationToken) is { } message)
        {
            if (message is SshChannelRequest request)
            {
                await request.ReplyAsync(request.Type == "window-change");
                continue;
            }
            if (message is SshChannelEof)
            {
                break;
            }
            if (message is not SshChannelData data)
            {
                continue;
            }
            foreach (var b in data.Data.ToArray())
            {
                if (b is (byte)'\r' or (byte)'\n')
                {
                    await channel.SendDataAsync(Encoding.UTF8.GetBytes($"\r\necho: {line}\r\n"), cancellationToken);
                    if (line.ToString() == "exit")
                    {
                        await channel.SendRequestAsync("exit-status", SessionRequests.EncodeExitStatus(0), false, cancellationToken);
                        return;
                    }
                    line.Clear();
                }
                else if (b == 4)
                {
                    await channel.SendRequestAsync("exit-status", SessionRequests.EncodeExitStatus(0), false, cancellationToken);
                    return;
                }
                else
                {
                    line.Append((char)b);
                }
            }
        }
        await channel.SendRequestAsync("exit-status", SessionRequests.EncodeExitStatus(0), false, cancellationToken);
    }

    private static async Task RunDirectTcpipAsync(SshChannel channel, SshChannelOpenRequest request, CancellationToken cancellationToken)
    {
        var (host, port, _, _) = request.ParseDirectTcpip();
        using var client = new TcpClient();
        await client.ConnectAsync(host, (int)port, cancellationToken);
        var stream = client.GetStream();
        var upstream = PumpToProcessAsync(channel, stream, () => client.Client.Shutdown(SocketShutdown.Send), cancellationToken);
        await PumpFromProcessAsync(stream, data => channel.SendDataAsync(data, cancellationToken));
        await channel.SendEofAsync(cancellationToken);
        await upstream.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
