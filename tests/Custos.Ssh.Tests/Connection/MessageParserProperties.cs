using Custos.Ssh.Connection;
using Custos.Ssh.Keys;
using Custos.Ssh.Server;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Connection;

internal static class TaskTimeout
{
    /// <summary>Waits synchronously; a handler that never completes is a hang, which fails the property.</summary>
    public static void WaitOrFail(this Task task)
    {
        if (!task.Wait(TimeSpan.FromSeconds(5)))
        {
            Assert.Fail("The handler did not complete within 5 s");
        }
    }
}

/// <summary>
/// Every message the server and client parse, mutated at random and fed to the same handlers the read
/// loop uses: only the protocol or format exception may come out, quickly and with bounded allocation.
/// </summary>
public class MessageParserProperties
{
    private static readonly Lazy<SshPrivateKey> HostKey = new(() => SshPrivateKey.Generate());
    private static readonly Lazy<SshPrivateKey> UserKey = new(() => SshPrivateKey.Generate());

    private static SshServerOptions Options() => new()
    {
        HostKeys = [new PrivateKeyHostKey(HostKey.Value)],
        Authenticator = new TestAuthenticator(),
        ChannelHandler = (session, request, token) => ValueTask.FromResult(ChannelOpenDecision.Accept((c, t) => Task.CompletedTask)),
    };

    private static byte[] Message(byte number, Action<SshWriter> body)
    {
        var writer = new SshWriter();
        writer.WriteByte(number);
        body(writer);
        return writer.ToArray();
    }

    /// <summary>One valid sample of each message the server handles.</summary>
    public static readonly byte[][] ServerSamples =
    [
        Message(MessageNumber.ServiceRequest, w => w.WriteUtf8String("ssh-userauth")),
        Message(MessageNumber.UserAuthRequest, w => { w.WriteUtf8String("u"); w.WriteUtf8String("ssh-connection"); w.WriteUtf8String("none"); }),
        Message(MessageNumber.UserAuthRequest, w =>
        {
            w.WriteUtf8String("u"); w.WriteUtf8String("ssh-connection"); w.WriteUtf8String("publickey"); w.WriteBoolean(true);
            w.WriteUtf8String("ssh-ed25519"); w.WriteString(UserKey.Value.PublicKey.Blob.Span); w.WriteString(UserKey.Value.Sign("x"u8));
        }),
        Message(MessageNumber.UserAuthRequest, w => { w.WriteUtf8String("u"); w.WriteUtf8String("ssh-connection"); w.WriteUtf8String("keyboard-interactive"); w.WriteUtf8String(""); w.WriteUtf8String(""); }),
        Message(MessageNumber.UserAuthInfoResponse, w => { w.WriteUInt32(1); w.WriteUtf8String("4242"); }),
        Message(MessageNumber.GlobalRequest, w => { w.WriteUtf8String("tcpip-forward"); w.WriteBoolean(true); w.WriteUtf8String("0.0.0.0"); w.WriteUInt32(80); }),
        Message(MessageNumber.ChannelOpen, w => { w.WriteUtf8String("session"); w.WriteUInt32(0); w.WriteUInt32(65536); w.WriteUInt32(32768); }),
        Message(MessageNumber.ChannelOpen, w => { w.WriteUtf8String("direct-tcpip"); w.WriteUInt32(1); w.WriteUInt32(65536); w.WriteUInt32(32768); w.WriteUtf8String("h"); w.WriteUInt32(22); w.WriteUtf8String("o"); w.WriteUInt32(1); }),
        Message(MessageNumber.ChannelOpenConfirmation, w => { w.WriteUInt32(0); w.WriteUInt32(0); w.WriteUInt32(1); w.WriteUInt32(1); }),
        Message(MessageNumber.ChannelOpenFailure, w => { w.WriteUInt32(0); w.WriteUInt32(2); w.WriteUtf8String("no"); w.WriteUtf8String(""); }),
        Message(MessageNumber.ChannelWindowAdjust, w => { w.WriteUInt32(0); w.WriteUInt32(100); }),
        Message(MessageNumber.ChannelData, w => { w.WriteUInt32(0); w.WriteString("data"u8); }),
        Message(MessageNumber.ChannelExtendedData, w => { w.WriteUInt32(0); w.WriteUInt32(1); w.WriteString("err"u8); }),
        Message(MessageNumber.ChannelEof, w => w.WriteUInt32(0)),
        Message(MessageNumber.ChannelClose, w => w.WriteUInt32(0)),
        Message(MessageNumber.ChannelRequest, w => { w.WriteUInt32(0); w.WriteUtf8String("exec"); w.WriteBoolean(true); w.WriteUtf8String("ls"); }),
        Message(MessageNumber.ChannelSuccess, w => w.WriteUInt32(0)),
        Message(MessageNumber.ChannelFailure, w => w.WriteUInt32(0)),
        Message(MessageNumber.RequestSuccess, w => { }),
    ];

    /// <summary>One valid sample of each transport message (either role).</summary>
    public static readonly byte[][] TransportSamples =
    [
        Message(MessageNumber.Disconnect, w => { w.WriteUInt32(11); w.WriteUtf8String("bye"); w.WriteUtf8String(""); }),
        Message(MessageNumber.Ignore, w => w.WriteString("x"u8)),
        Message(MessageNumber.Debug, w => { w.WriteBoolean(false); w.WriteUtf8String("d"); w.WriteUtf8String(""); }),
        Message(MessageNumber.Unimplemented, w => w.WriteUInt32(3)),
        Message(MessageNumber.ExtInfo, w => { w.WriteUInt32(1); w.WriteUtf8String("server-sig-algs"); w.WriteUtf8String("ssh-ed25519"); }),
        RawSshPeer.KexInit(strict: true),
        Message(MessageNumber.NewKeys, w => { }),
        Message(MessageNumber.KexEcdhInit, w => w.WriteString(new byte[32])),
        Message(MessageNumber.KexEcdhReply, w => { w.WriteString(HostKey.Value.PublicKey.Blob.Span); w.WriteString(new byte[32]); w.WriteString(HostKey.Value.Sign("h"u8)); }),
    ];

    [Property(MaxTest = 1000)]
    public void Mutated_connection_and_authentication_messages_raise_only_protocol_errors(byte sample, bool authenticated, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        var message = HostileInput.Mutate(ServerSamples[sample % ServerSamples.Length], positions, values, lengthBomb, cut);
        if (message.Length == 0)
        {
            return;
        }
        var session = SshServerSession.CreateDetached(Stream.Null, Options());
        session.ConnectionProtocolActive = authenticated;
        ProtocolInput.OnlyProtocolErrors(message.Length, () =>
        {
            // A valid prefix first (service accepted, a channel open), so later handlers get past their first checks.
            session.DispatchForTestAsync(ServerSamples[0]).AsTask().WaitOrFail();
            if (authenticated)
            {
                session.DispatchForTestAsync(ServerSamples[6]).AsTask().WaitOrFail();
            }
            session.DispatchForTestAsync(message).AsTask().WaitOrFail();
        });
    }

    [Property(MaxTest = 300)]
    public void Mutated_transport_messages_raise_only_protocol_errors(byte sample, bool server, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        var message = HostileInput.Mutate(TransportSamples[sample % TransportSamples.Length], positions, values, lengthBomb, cut);
        if (message.Length == 0)
        {
            return;
        }
        var transport = server
            ? new SshTransport(Stream.Null, new SshTransportOptions(), true, hostKeys: [new PrivateKeyHostKey(HostKey.Value)])
            : new SshTransport(Stream.Null, new SshTransportOptions(), false, hostKeyVerifier: new PinnedHostKeyVerifier(HostKey.Value.PublicKey));
        ProtocolInput.OnlyProtocolErrors(message.Length, () =>
        {
            if (message[0] != MessageNumber.KexInit)
            {
                transport.HandleTransportMessageAsync(TransportSamples[5], CancellationToken.None).AsTask().WaitOrFail();
            }
            transport.HandleTransportMessageAsync(message, CancellationToken.None).AsTask().WaitOrFail();
        });
    }

    [Property(MaxTest = 300)]
    public void KEXINIT_round_trips_and_random_bytes_never_escape_as_other_exceptions(byte[] data)
    {
        var original = KexInitMessage.Decode(RawSshPeer.KexInit(strict: true));
        var again = KexInitMessage.Decode(original.Encode());
        Assert.Equal(original.KeyExchange, again.KeyExchange);
        Assert.Equal(original.CiphersServerToClient, again.CiphersServerToClient);
        ProtocolInput.OnlyProtocolErrors(data.Length, () => KexInitMessage.Decode([MessageNumber.KexInit, .. data]));
    }

    [Property(MaxTest = 300)]
    public void Session_request_parsers_raise_only_format_errors(byte[] data)
    {
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParsePtyRequest(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParseEnv(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParseSingleString(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParseWindowChange(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParseExitStatus(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => SessionRequests.ParseExitSignal(data));
        ProtocolInput.OnlyProtocolErrors(data.Length, () => new SshChannelOpenRequest("direct-tcpip", data).ParseDirectTcpip());
    }
}
