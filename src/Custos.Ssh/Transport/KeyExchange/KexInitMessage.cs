using Custos.Ssh.Wire;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>SSH_MSG_KEXINIT (RFC 4253 §7.1). An empty <see cref="Cookie"/> is replaced by 16 random bytes when encoding.</summary>
internal sealed record KexInitMessage : ISshMessage<KexInitMessage>
{
    public const int CookieLength = 16;

    public static byte Number => MessageNumber.KexInit;

    public ReadOnlyMemory<byte> Cookie { get; init; }
    public required string[] KeyExchange { get; init; }
    public required string[] HostKey { get; init; }
    public required string[] CiphersClientToServer { get; init; }
    public required string[] CiphersServerToClient { get; init; }
    public required string[] MacsClientToServer { get; init; }
    public required string[] MacsServerToClient { get; init; }
    public string[] CompressionClientToServer { get; init; } = ["none"];
    public string[] CompressionServerToClient { get; init; } = ["none"];
    public string[] LanguagesClientToServer { get; init; } = [];
    public string[] LanguagesServerToClient { get; init; } = [];
    public bool FirstKexPacketFollows { get; init; }

    public byte[] Encode() => SshMessage.Encode(this);

    public void WriteBody(SshWriter writer)
    {
        if (Cookie.Length == CookieLength)
        {
            writer.WriteRaw(Cookie.Span);
        }
        else
        {
            Span<byte> cookie = stackalloc byte[CookieLength];
            System.Security.Cryptography.RandomNumberGenerator.Fill(cookie);
            writer.WriteRaw(cookie);
        }
        writer.WriteNameList(KeyExchange);
        writer.WriteNameList(HostKey);
        writer.WriteNameList(CiphersClientToServer);
        writer.WriteNameList(CiphersServerToClient);
        writer.WriteNameList(MacsClientToServer);
        writer.WriteNameList(MacsServerToClient);
        writer.WriteNameList(CompressionClientToServer);
        writer.WriteNameList(CompressionServerToClient);
        writer.WriteNameList(LanguagesClientToServer);
        writer.WriteNameList(LanguagesServerToClient);
        writer.WriteBoolean(FirstKexPacketFollows);
        writer.WriteUInt32(0); // reserved
    }

    public static KexInitMessage Decode(ReadOnlySpan<byte> payload) => SshMessage.Decode<KexInitMessage>(payload);

    public static KexInitMessage ReadBody(ref SshReader reader)
    {
        var cookie = reader.ReadBytes(CookieLength).ToArray();
        var message = new KexInitMessage
        {
            Cookie = cookie,
            KeyExchange = reader.ReadNameList(),
            HostKey = reader.ReadNameList(),
            CiphersClientToServer = reader.ReadNameList(),
            CiphersServerToClient = reader.ReadNameList(),
            MacsClientToServer = reader.ReadNameList(),
            MacsServerToClient = reader.ReadNameList(),
            CompressionClientToServer = reader.ReadNameList(),
            CompressionServerToClient = reader.ReadNameList(),
            LanguagesClientToServer = reader.ReadNameList(),
            LanguagesServerToClient = reader.ReadNameList(),
        };
        var follows = reader.ReadBoolean();
        // RFC 4253 §7.1 reserves the trailing uint32; SshMessage.Decode tolerates nothing after it.
        reader.ReadUInt32();
        return message with { FirstKexPacketFollows = follows };
    }
}

/// <summary>The outcome of RFC 4253 §7.1 algorithm negotiation.</summary>
internal sealed record NegotiatedAlgorithms(
    string KeyExchange,
    string HostKey,
    string CipherClientToServer,
    string CipherServerToClient,
    string MacClientToServer,
    string MacServerToClient)
{
    /// <summary>
    /// RFC 4253 §7.1: for each category the first algorithm on the client's list that the server also
    /// supports. Pseudo-algorithms (strict KEX, ext-info) are never chosen.
    /// </summary>
    public static NegotiatedAlgorithms Negotiate(KexInitMessage client, KexInitMessage server)
    {
        var kex = Choose("key exchange", client.KeyExchange, server.KeyExchange, IsPseudoAlgorithm);
        var hostKey = Choose("host key", client.HostKey, server.HostKey, null);
        var c2s = Choose("client-to-server cipher", client.CiphersClientToServer, server.CiphersClientToServer, null);
        var s2c = Choose("server-to-client cipher", client.CiphersServerToClient, server.CiphersServerToClient, null);
        var macC2s = Ciphers.CipherNames.IsAead(c2s) ? "" : Choose("client-to-server MAC", client.MacsClientToServer, server.MacsClientToServer, null);
        var macS2c = Ciphers.CipherNames.IsAead(s2c) ? "" : Choose("server-to-client MAC", client.MacsServerToClient, server.MacsServerToClient, null);
        Choose("client-to-server compression", client.CompressionClientToServer, server.CompressionClientToServer, null);
        Choose("server-to-client compression", client.CompressionServerToClient, server.CompressionServerToClient, null);
        return new NegotiatedAlgorithms(kex, hostKey, c2s, s2c, macC2s, macS2c);
    }

    /// <summary>RFC 4253 §7: whether a guessed first KEX packet was right (both first choices agree).</summary>
    public static bool GuessWasRight(KexInitMessage client, KexInitMessage server) =>
        client.KeyExchange.Length > 0 && server.KeyExchange.Length > 0
        && client.KeyExchange[0] == server.KeyExchange[0]
        && client.HostKey.Length > 0 && server.HostKey.Length > 0
        && client.HostKey[0] == server.HostKey[0];

    public static bool IsPseudoAlgorithm(string name) =>
        name is KeyExchangeNames.StrictClient or KeyExchangeNames.StrictServer
            or KeyExchangeNames.ExtInfoClient or KeyExchangeNames.ExtInfoServer;

    private static string Choose(string category, string[] client, string[] server, Func<string, bool>? exclude)
    {
        foreach (var candidate in client)
        {
            if ((exclude is null || !exclude(candidate)) && Array.IndexOf(server, candidate) >= 0)
            {
                return candidate;
            }
        }
        throw new SshProtocolException(DisconnectReason.KeyExchangeFailed,
            $"No common {category} algorithm (client: {string.Join(',', client)}; server: {string.Join(',', server)})");
    }
}
