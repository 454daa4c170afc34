using Custos.Ssh.Keys;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Fuzz;

/// <summary>Valid inputs for each target, the starting point for mutation.</summary>
internal static class SeedCorpus
{
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var index = 0;
        foreach (var seed in Packets().Concat(Messages()).Concat(KexInits()))
        {
            File.WriteAllBytes(Path.Combine(directory, $"seed-{index++:D3}.bin"), seed);
        }
    }

    private static byte[] KexInitPayload() => new KexInitMessage
    {
        KeyExchange = [KeyExchangeNames.Curve25519Sha256, KeyExchangeNames.StrictClient, KeyExchangeNames.ExtInfoClient],
        HostKey = ["ssh-ed25519"],
        CiphersClientToServer = [.. CipherNames.All],
        CiphersServerToClient = [.. CipherNames.All],
        MacsClientToServer = [CipherNames.HmacSha256Etm],
        MacsServerToClient = [CipherNames.HmacSha256Etm],
    }.Encode();

    private static IEnumerable<byte[]> KexInits() => [KexInitPayload()];

    private static IEnumerable<byte[]> Packets()
    {
        byte[] key = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];
        for (byte variant = 0; variant < 4; variant++)
        {
            using var codec = new PacketCodec(Stream.Null);
            PacketCipher cipher = variant switch
            {
                0 => NoneCipher.Instance,
                1 => new ChaCha20Poly1305Cipher(key),
                2 => new AesGcmCipher(key.AsSpan(0, 32), key.AsSpan(32, 12)),
                _ => new AesCtrHmacEtmCipher(key.AsSpan(0, 32), key.AsSpan(32, 16), key),
            };
            codec.SetSendCipher(cipher, resetSequence: true);
            var length = codec.Encode(KexInitPayload());
            yield return [variant, .. codec.SendBufferForTest[..length]];
        }
    }

    private static IEnumerable<byte[]> Messages()
    {
        using var user = SshPrivateKey.Generate();
        byte[] Message(byte number, Action<SshWriter> body)
        {
            var writer = new SshWriter();
            writer.WriteByte(number);
            body(writer);
            return writer.ToArray();
        }
        byte[] Sequence(byte selector, params byte[][] messages)
        {
            var all = new List<byte> { selector };
            foreach (var message in messages)
            {
                all.Add((byte)(message.Length >> 8));
                all.Add((byte)message.Length);
                all.AddRange(message);
            }
            return [.. all];
        }
        var service = Message(MessageNumber.ServiceRequest, w => w.WriteUtf8String("ssh-userauth"));
        var none = Message(MessageNumber.UserAuthRequest, w => { w.WriteUtf8String("u"); w.WriteUtf8String("ssh-connection"); w.WriteUtf8String("none"); });
        var publicKey = Message(MessageNumber.UserAuthRequest, w =>
        {
            w.WriteUtf8String("u"); w.WriteUtf8String("ssh-connection"); w.WriteUtf8String("publickey"); w.WriteBoolean(true);
            w.WriteUtf8String("ssh-ed25519"); w.WriteString(user.PublicKey.Blob.Span); w.WriteString(user.Sign("x"u8));
        });
        var open = Message(MessageNumber.ChannelOpen, w => { w.WriteUtf8String("session"); w.WriteUInt32(0); w.WriteUInt32(65536); w.WriteUInt32(32768); });
        var data = Message(MessageNumber.ChannelData, w => { w.WriteUInt32(0); w.WriteString("data"u8); });
        var request = Message(MessageNumber.ChannelRequest, w => { w.WriteUInt32(0); w.WriteUtf8String("pty-req"); w.WriteBoolean(true); w.WriteUtf8String("xterm"); w.WriteUInt32(80); w.WriteUInt32(24); w.WriteUInt32(0); w.WriteUInt32(0); w.WriteString([0]); });
        var adjust = Message(MessageNumber.ChannelWindowAdjust, w => { w.WriteUInt32(0); w.WriteUInt32(1000); });
        var close = Message(MessageNumber.ChannelClose, w => w.WriteUInt32(0));
        var global = Message(MessageNumber.GlobalRequest, w => { w.WriteUtf8String("tcpip-forward"); w.WriteBoolean(true); w.WriteUtf8String(""); w.WriteUInt32(0); });
        var extInfo = Message(MessageNumber.ExtInfo, w => { w.WriteUInt32(1); w.WriteUtf8String("server-sig-algs"); w.WriteUtf8String("ssh-ed25519"); });
        var disconnect = Message(MessageNumber.Disconnect, w => { w.WriteUInt32(11); w.WriteUtf8String("bye"); w.WriteUtf8String(""); });
        yield return Sequence(0, service, none, publicKey);
        yield return Sequence(2, open, request, data, adjust, close);
        yield return Sequence(2, global, open, data);
        yield return Sequence(1, extInfo, KexInitPayload(), Message(MessageNumber.KexEcdhReply, w => { w.WriteString(user.PublicKey.Blob.Span); w.WriteString(new byte[32]); w.WriteString(user.Sign("h"u8)); }));
        yield return Sequence(1, disconnect);
    }
}
