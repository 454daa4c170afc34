using Custos.Ssh.Authentication;
using Custos.Ssh.Connection;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;
using FsCheck;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Wire;

/// <summary>
/// decode(encode(m)) == m for every message the library sends or receives, and for the type-specific data of
/// every channel open, global request and channel request; and random or mutated bytes fed to each decoder
/// raise only the library's format or protocol exception.
/// </summary>
public class MessageRoundTripProperties
{
    private static void RoundTrips<T>(T message) where T : ISshMessage<T>
    {
        var encoded = SshMessage.Encode(message);
        Assert.Equal(T.Number, encoded[0]);
        var decoded = SshMessage.Decode<T>(encoded);
        Structural.AssertEqual(message, decoded);
        Assert.Equal(encoded, SshMessage.Encode(decoded));
    }

    private static void DataRoundTrips<T>(T data) where T : ISshTypeSpecificData<T>
    {
        var encoded = SshMessage.EncodeData(data);
        var decoded = SshMessage.DecodeData<T>(encoded);
        Structural.AssertEqual(data, decoded);
        Assert.Equal(encoded, SshMessage.EncodeData(decoded));
    }

    /// <summary>A string that survives UTF-8 (no lone surrogates).</summary>
    private static string Text(NonNull<string> value) => new([.. value.Get.Where(c => !char.IsSurrogate(c))]);

    /// <summary>RFC 4251 §5 name-list members: non-empty printable ASCII without commas.</summary>
    private static string[] Names(NonNull<string> value) =>
        [.. Text(value).Split(',', ' ').Where(n => n.Length > 0 && n.All(c => c > ' ' && c < 0x7f))];

    // ---- transport (RFC 4253, RFC 8308, RFC 5656/8731 and the hybrids) ----

    [Property(MaxTest = 100)]
    public void Disconnect_round_trips(uint reason, NonNull<string> description, NonNull<string> language) =>
        RoundTrips(new DisconnectMessage((DisconnectReason)reason, Text(description), Text(language)));

    [Property(MaxTest = 100)]
    public void Ignore_round_trips(byte[] data) => RoundTrips(new IgnoreMessage(data));

    [Property(MaxTest = 100)]
    public void Unimplemented_round_trips(uint sequence) => RoundTrips(new UnimplementedMessage(sequence));

    [Property(MaxTest = 100)]
    public void Debug_round_trips(bool display, NonNull<string> message, NonNull<string> language) =>
        RoundTrips(new DebugMessage(display, Text(message), Text(language)));

    [Property(MaxTest = 100)]
    public void Service_request_and_accept_round_trip(NonNull<string> service)
    {
        RoundTrips(new ServiceRequestMessage(Text(service)));
        RoundTrips(new ServiceAcceptMessage(Text(service)));
    }

    [Property(MaxTest = 100)]
    public void Ext_info_round_trips(NonNull<string>[] names, byte[][] values)
    {
        var extensions = names.Take(ExtInfoMessage.MaxExtensions).Select((n, i) => (Text(n), (ReadOnlyMemory<byte>)(values.Length == 0 ? [] : values[i % values.Length] ?? []))).ToList();
        RoundTrips(new ExtInfoMessage(extensions));
    }

    [Property(MaxTest = 100)]
    public void Kexinit_round_trips_with_every_name_list(byte[] cookieSeed, NonNull<string> a, NonNull<string> b, NonNull<string> c, NonNull<string> d, bool follows)
    {
        var cookie = new byte[KexInitMessage.CookieLength];
        cookieSeed.AsSpan(0, Math.Min(cookieSeed.Length, cookie.Length)).CopyTo(cookie);
        RoundTrips(new KexInitMessage
        {
            Cookie = cookie,
            KeyExchange = Names(a),
            HostKey = Names(b),
            CiphersClientToServer = Names(c),
            CiphersServerToClient = Names(d),
            MacsClientToServer = Names(a),
            MacsServerToClient = Names(b),
            CompressionClientToServer = Names(c),
            CompressionServerToClient = Names(d),
            LanguagesClientToServer = Names(a),
            LanguagesServerToClient = Names(b),
            FirstKexPacketFollows = follows,
        });
    }

    [Fact]
    public void Newkeys_round_trips() => RoundTrips(new NewKeysMessage());

    /// <summary>Q_C and Q_S sizes of every method: X25519, P-256 point, ML-KEM-768 and sntrup761 hybrids.</summary>
    public static TheoryData<int, int> KexValueSizes() => new() { { 32, 32 }, { 65, 65 }, { 1184 + 32, 1088 + 32 }, { 1158 + 32, 1039 + 32 } };

    [Theory]
    [MemberData(nameof(KexValueSizes))]
    public void Ecdh_init_and_reply_round_trip_for_every_method_including_the_hybrids(int clientLength, int serverLength)
    {
        var random = new Random(clientLength);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        RoundTrips(new KexEcdhInitMessage(Bytes(clientLength)));
        RoundTrips(new KexEcdhReplyMessage(Bytes(51), Bytes(serverLength), Bytes(83)));
    }

    [Property(MaxTest = 100)]
    public void Hybrid_values_split_into_their_KEM_and_X25519_halves(byte[] kem, byte[] x25519Seed)
    {
        var x25519 = new byte[HybridKexValue.X25519Length];
        x25519Seed.AsSpan(0, Math.Min(32, x25519Seed.Length)).CopyTo(x25519);
        var joined = new HybridKexValue(kem, x25519).Encode();

        var split = HybridKexValue.Split(joined, kem.Length);

        Assert.Equal(kem, split.Kem.ToArray());
        Assert.Equal(x25519, split.X25519.ToArray());
        Assert.Throws<SshFormatException>(() => HybridKexValue.Split(joined, kem.Length + 1));
    }

    // ---- user authentication (RFC 4252, RFC 4256) ----

    [Property(MaxTest = 100)]
    public void Userauth_requests_round_trip_for_none_publickey_query_and_signed_and_keyboard_interactive(
        NonNull<string> user, NonNull<string> service, NonNull<string> algorithm, byte[] key, byte[] signature, NonNull<string> submethods)
    {
        RoundTrips<UserAuthRequestMessage>(new UserAuthNoneRequest(Text(user), Text(service)));
        RoundTrips<UserAuthRequestMessage>(new UserAuthPublicKeyRequest(Text(user), Text(service), Text(algorithm), key, null));
        RoundTrips<UserAuthRequestMessage>(new UserAuthPublicKeyRequest(Text(user), Text(service), Text(algorithm), key, signature));
        RoundTrips<UserAuthRequestMessage>(new UserAuthKeyboardInteractiveRequest(Text(user), Text(service), "", Text(submethods)));
        RoundTrips<UserAuthRequestMessage>(new UserAuthOtherRequest(Text(user), Text(service), "x-" + Text(algorithm), signature));
    }

    [Property(MaxTest = 100)]
    public void Userauth_failure_success_banner_and_pk_ok_round_trip(NonNull<string> methods, bool partial, NonNull<string> banner, NonNull<string> algorithm, byte[] key)
    {
        RoundTrips(new UserAuthFailureMessage(Names(methods), partial));
        RoundTrips(new UserAuthSuccessMessage());
        RoundTrips(new UserAuthBannerMessage(Text(banner), "en"));
        RoundTrips(new UserAuthPkOkMessage(Text(algorithm), key));
    }

    [Property(MaxTest = 100)]
    public void Keyboard_interactive_info_request_and_response_round_trip(NonNull<string> name, NonNull<string> instruction, NonNull<string>[] prompts, bool[] echoes)
    {
        var list = prompts.Take(UserAuthInfoRequestMessage.MaxPrompts).Select((p, i) => (Text(p), echoes.Length > 0 && echoes[i % echoes.Length])).ToList();
        RoundTrips(new UserAuthInfoRequestMessage(Text(name), Text(instruction), "", list));
        RoundTrips(new UserAuthInfoResponseMessage([.. list.Select(p => p.Item1)]));
    }

    // ---- connection (RFC 4254) ----

    [Property(MaxTest = 100)]
    public void Global_requests_and_replies_round_trip_with_their_typed_data(NonNull<string> name, bool wantReply, byte[] data, NonNull<string> address, uint port)
    {
        RoundTrips(new GlobalRequestMessage(Text(name), wantReply, data));
        RoundTrips(new RequestSuccessMessage(data));
        RoundTrips(new RequestFailureMessage());
        DataRoundTrips(new TcpipForwardRequest(Text(address), port));
        DataRoundTrips(new CancelTcpipForwardRequest(Text(address), port));
        DataRoundTrips(new TcpipForwardReply(port));
        DataRoundTrips(new KeepaliveRequest());
        DataRoundTrips(new NoMoreSessionsRequest());
        var forward = SshMessage.EncodeData(new TcpipForwardRequest(Text(address), port));
        RoundTrips(new GlobalRequestMessage(TcpipForwardRequest.TypeName, wantReply, forward));
    }

    [Property(MaxTest = 100)]
    public void Channel_opens_round_trip_for_session_direct_tcpip_and_forwarded_tcpip(NonNull<string> host, uint port, NonNull<string> originator, uint originatorPort, uint sender, uint window, uint maxPacket)
    {
        DataRoundTrips(new SessionOpen());
        DataRoundTrips(new DirectTcpipOpen(Text(host), port, Text(originator), originatorPort));
        DataRoundTrips(new ForwardedTcpipOpen(Text(host), port, Text(originator), originatorPort));
        RoundTrips(new ChannelOpenMessage(SessionOpen.TypeName, sender, window, maxPacket, default));
        RoundTrips(new ChannelOpenMessage(DirectTcpipOpen.TypeName, sender, window, maxPacket, SshMessage.EncodeData(new DirectTcpipOpen(Text(host), port, Text(originator), originatorPort))));
        RoundTrips(new ChannelOpenMessage(ForwardedTcpipOpen.TypeName, sender, window, maxPacket, SshMessage.EncodeData(new ForwardedTcpipOpen(Text(host), port, Text(originator), originatorPort))));
    }

    [Property(MaxTest = 100)]
    public void Channel_management_messages_round_trip(uint recipient, uint sender, uint window, uint maxPacket, uint reason, NonNull<string> description, byte[] data, uint dataType)
    {
        RoundTrips(new ChannelOpenConfirmationMessage(recipient, sender, window, maxPacket, default));
        RoundTrips(new ChannelOpenFailureMessage(recipient, (ChannelOpenFailureReason)reason, Text(description), ""));
        RoundTrips(new ChannelWindowAdjustMessage(recipient, window));
        RoundTrips(new ChannelDataMessage(recipient, data));
        RoundTrips(new ChannelExtendedDataMessage(recipient, dataType, data));
        RoundTrips(new ChannelEofMessage(recipient));
        RoundTrips(new ChannelCloseMessage(recipient));
        RoundTrips(new ChannelSuccessMessage(recipient));
        RoundTrips(new ChannelFailureMessage(recipient));
    }

    [Property(MaxTest = 100)]
    public void Every_channel_request_type_round_trips(uint recipient, bool wantReply, NonNull<string> text, uint a, uint b, uint c, uint d, byte[] modes, bool core)
    {
        var value = Text(text);
        DataRoundTrips(new PtyRequest(value, a, b, c, d, modes));
        DataRoundTrips(new EnvRequest(value, value + "=v"));
        DataRoundTrips(new ShellRequest());
        DataRoundTrips(new ExecRequest(value));
        DataRoundTrips(new SubsystemRequest(value));
        DataRoundTrips(new WindowChangeRequest(a, b, c, d));
        DataRoundTrips(new SignalRequest(value));
        DataRoundTrips(new ExitStatusRequest(a));
        DataRoundTrips(new ExitSignalRequest(value, core, value, ""));
        DataRoundTrips(new KeepaliveRequest());
        RoundTrips(new ChannelRequestMessage(recipient, PtyRequest.TypeName, wantReply, SshMessage.EncodeData(new PtyRequest(value, a, b, c, d, modes))));
        RoundTrips(new ChannelRequestMessage(recipient, ExitSignalRequest.TypeName, wantReply, SshMessage.EncodeData(new ExitSignalRequest(value, core, value, ""))));
    }

    [Fact]
    public void Session_request_helpers_read_what_the_typed_records_write()
    {
        var pty = SessionRequests.ParsePtyRequest(SessionRequests.EncodePtyRequest("xterm", 80, 24));
        Assert.Equal(("xterm", 80u, 24u), (pty.Term, pty.Columns, pty.Rows));
        Assert.Equal(("TERM", "dumb"), SessionRequests.ParseEnv(SshMessage.EncodeData(new EnvRequest("TERM", "dumb"))));
        Assert.Equal("sftp", SessionRequests.ParseSingleString(SshMessage.EncodeData(new SubsystemRequest("sftp"))));
        Assert.Equal("KILL", SessionRequests.ParseSingleString(SshMessage.EncodeData(new SignalRequest("KILL"))));
        Assert.Equal((1u, 2u, 3u, 4u), SessionRequests.ParseWindowChange(SshMessage.EncodeData(new WindowChangeRequest(1, 2, 3, 4))));
        Assert.Equal(7u, SessionRequests.ParseExitStatus(SessionRequests.EncodeExitStatus(7)));
        Assert.Equal(("TERM", true, "killed"), SessionRequests.ParseExitSignal(SessionRequests.EncodeExitSignal("TERM", true, "killed")));
    }

    // ---- hostile input into every decoder ----

    private static readonly (byte[] Sample, Func<byte[], object> Decode)[] Decoders =
    [
        (SshMessage.Encode(new DisconnectMessage(DisconnectReason.ByApplication, "bye", "")), p => SshMessage.Decode<DisconnectMessage>(p)),
        (SshMessage.Encode(new IgnoreMessage(new byte[] { 1, 2 })), p => SshMessage.Decode<IgnoreMessage>(p)),
        (SshMessage.Encode(new UnimplementedMessage(3)), p => SshMessage.Decode<UnimplementedMessage>(p)),
        (SshMessage.Encode(new DebugMessage(true, "d", "")), p => SshMessage.Decode<DebugMessage>(p)),
        (SshMessage.Encode(new ServiceRequestMessage("ssh-userauth")), p => SshMessage.Decode<ServiceRequestMessage>(p)),
        (SshMessage.Encode(new ServiceAcceptMessage("ssh-userauth")), p => SshMessage.Decode<ServiceAcceptMessage>(p)),
        (SshMessage.Encode(new ExtInfoMessage([("server-sig-algs", "ssh-ed25519"u8.ToArray())])), p => SshMessage.Decode<ExtInfoMessage>(p)),
        (RawSshPeer.KexInit(strict: true), p => SshMessage.Decode<KexInitMessage>(p)),
        (SshMessage.Encode(new NewKeysMessage()), p => SshMessage.Decode<NewKeysMessage>(p)),
        (SshMessage.Encode(new KexEcdhInitMessage(new byte[1216])), p => SshMessage.Decode<KexEcdhInitMessage>(p)),
        (SshMessage.Encode(new KexEcdhReplyMessage(new byte[51], new byte[1120], new byte[83])), p => SshMessage.Decode<KexEcdhReplyMessage>(p)),
        (SshMessage.Encode<UserAuthRequestMessage>(new UserAuthPublicKeyRequest("u", "ssh-connection", "ssh-ed25519", new byte[51], new byte[83])), p => SshMessage.Decode<UserAuthRequestMessage>(p)),
        (SshMessage.Encode<UserAuthRequestMessage>(new UserAuthKeyboardInteractiveRequest("u", "ssh-connection", "", "")), p => SshMessage.Decode<UserAuthRequestMessage>(p)),
        (SshMessage.Encode(new UserAuthFailureMessage(["publickey", "keyboard-interactive"], true)), p => SshMessage.Decode<UserAuthFailureMessage>(p)),
        (SshMessage.Encode(new UserAuthSuccessMessage()), p => SshMessage.Decode<UserAuthSuccessMessage>(p)),
        (SshMessage.Encode(new UserAuthBannerMessage("hello", "")), p => SshMessage.Decode<UserAuthBannerMessage>(p)),
        (SshMessage.Encode(new UserAuthPkOkMessage("ssh-ed25519", new byte[51])), p => SshMessage.Decode<UserAuthPkOkMessage>(p)),
        (SshMessage.Encode(new UserAuthInfoRequestMessage("n", "i", "", [("Code: ", false), ("Again: ", true)])), p => SshMessage.Decode<UserAuthInfoRequestMessage>(p)),
        (SshMessage.Encode(new UserAuthInfoResponseMessage(["4242", "x"])), p => SshMessage.Decode<UserAuthInfoResponseMessage>(p)),
        (SshMessage.Encode(new GlobalRequestMessage("tcpip-forward", true, SshMessage.EncodeData(new TcpipForwardRequest("localhost", 0)))), p => SshMessage.Decode<GlobalRequestMessage>(p)),
        (SshMessage.Encode(new RequestSuccessMessage(new byte[] { 0, 0, 1, 2 })), p => SshMessage.Decode<RequestSuccessMessage>(p)),
        (SshMessage.Encode(new RequestFailureMessage()), p => SshMessage.Decode<RequestFailureMessage>(p)),
        (SshMessage.Encode(new ChannelOpenMessage("direct-tcpip", 1, 2, 3, SshMessage.EncodeData(new DirectTcpipOpen("h", 22, "o", 1)))), p => SshMessage.Decode<ChannelOpenMessage>(p)),
        (SshMessage.Encode(new ChannelOpenConfirmationMessage(1, 2, 3, 4, default)), p => SshMessage.Decode<ChannelOpenConfirmationMessage>(p)),
        (SshMessage.Encode(new ChannelOpenFailureMessage(1, ChannelOpenFailureReason.ConnectFailed, "no", "")), p => SshMessage.Decode<ChannelOpenFailureMessage>(p)),
        (SshMessage.Encode(new ChannelWindowAdjustMessage(1, 2)), p => SshMessage.Decode<ChannelWindowAdjustMessage>(p)),
        (SshMessage.Encode(new ChannelDataMessage(1, "data"u8.ToArray())), p => SshMessage.Decode<ChannelDataMessage>(p)),
        (SshMessage.Encode(new ChannelExtendedDataMessage(1, 1, "err"u8.ToArray())), p => SshMessage.Decode<ChannelExtendedDataMessage>(p)),
        (SshMessage.Encode(new ChannelEofMessage(1)), p => SshMessage.Decode<ChannelEofMessage>(p)),
        (SshMessage.Encode(new ChannelCloseMessage(1)), p => SshMessage.Decode<ChannelCloseMessage>(p)),
        (SshMessage.Encode(new ChannelRequestMessage(1, "exec", true, SshMessage.EncodeData(new ExecRequest("ls")))), p => SshMessage.Decode<ChannelRequestMessage>(p)),
        (SshMessage.Encode(new ChannelSuccessMessage(1)), p => SshMessage.Decode<ChannelSuccessMessage>(p)),
        (SshMessage.Encode(new ChannelFailureMessage(1)), p => SshMessage.Decode<ChannelFailureMessage>(p)),
        (SshMessage.EncodeData(new TcpipForwardRequest("localhost", 0)), p => SshMessage.DecodeData<TcpipForwardRequest>(p)),
        (SshMessage.EncodeData(new CancelTcpipForwardRequest("localhost", 8080)), p => SshMessage.DecodeData<CancelTcpipForwardRequest>(p)),
        (SshMessage.EncodeData(new TcpipForwardReply(8080)), p => SshMessage.DecodeData<TcpipForwardReply>(p)),
        (SshMessage.EncodeData(new DirectTcpipOpen("h", 22, "o", 1)), p => SshMessage.DecodeData<DirectTcpipOpen>(p)),
        (SshMessage.EncodeData(new ForwardedTcpipOpen("h", 22, "o", 1)), p => SshMessage.DecodeData<ForwardedTcpipOpen>(p)),
        (SshMessage.EncodeData(new PtyRequest("xterm", 80, 24, 0, 0, new byte[] { 0 })), p => SshMessage.DecodeData<PtyRequest>(p)),
        (SshMessage.EncodeData(new EnvRequest("LANG", "C")), p => SshMessage.DecodeData<EnvRequest>(p)),
        (SshMessage.EncodeData(new ExecRequest("ls")), p => SshMessage.DecodeData<ExecRequest>(p)),
        (SshMessage.EncodeData(new SubsystemRequest("sftp")), p => SshMessage.DecodeData<SubsystemRequest>(p)),
        (SshMessage.EncodeData(new WindowChangeRequest(80, 24, 0, 0)), p => SshMessage.DecodeData<WindowChangeRequest>(p)),
        (SshMessage.EncodeData(new SignalRequest("INT")), p => SshMessage.DecodeData<SignalRequest>(p)),
        (SshMessage.EncodeData(new ExitStatusRequest(1)), p => SshMessage.DecodeData<ExitStatusRequest>(p)),
        (SshMessage.EncodeData(new ExitSignalRequest("KILL", false, "m", "")), p => SshMessage.DecodeData<ExitSignalRequest>(p)),
    ];

    [Property(MaxTest = 2000)]
    public void Mutated_encodings_fed_to_each_decoder_raise_only_format_or_protocol_errors(byte decoder, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        var (sample, decode) = Decoders[decoder % Decoders.Length];
        var message = HostileInput.Mutate(sample, positions, values, lengthBomb, cut);
        ProtocolInput.OnlyProtocolErrors(message.Length, () => decode(message));
    }

    [Property(MaxTest = 1000)]
    public void Random_bytes_fed_to_each_decoder_raise_only_format_or_protocol_errors(byte decoder, byte[] data)
    {
        var (sample, decode) = Decoders[decoder % Decoders.Length];
        // Half the time keep the right message number, so the body parser is reached.
        byte[] input = data.Length > 0 && (data[0] & 1) == 0 ? [sample[0], .. data] : data;
        ProtocolInput.OnlyProtocolErrors(input.Length, () => decode(input));
    }

    [Fact]
    public void Trailing_bytes_after_any_message_are_a_format_error()
    {
        foreach (var (sample, decode) in Decoders.Where(d => !AcceptsTrailingData(d.Sample)))
        {
            Assert.Throws<SshFormatException>(() => decode([.. sample, 0]));
        }
    }

    /// <summary>Messages whose last field is "the rest" (request data, channel open data) take any tail by design.</summary>
    private static bool AcceptsTrailingData(byte[] sample) =>
        sample[0] is MessageNumber.GlobalRequest or MessageNumber.RequestSuccess or MessageNumber.ChannelOpen
            or MessageNumber.ChannelOpenConfirmation or MessageNumber.ChannelRequest;
}
