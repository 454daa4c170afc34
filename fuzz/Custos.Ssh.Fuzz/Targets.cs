using Custos.Ssh.Keys;
using Custos.Ssh.Server;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Fuzz;

/// <summary>Fuzz targets. The first input byte selects a variant; the rest is the hostile data.</summary>
internal static class Targets
{
    private static readonly SshPrivateKey HostKey = SshPrivateKey.Generate();
    private static readonly byte[] Key = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];

    /// <summary>RFC 4253 §6 packet decoding with each cipher.</summary>
    public static void Packet(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }
        using var codec = new PacketCodec(Stream.Null);
        PacketCipher cipher = (input[0] % 4) switch
        {
            0 => NoneCipher.Instance,
            1 => new ChaCha20Poly1305Cipher(Key),
            2 => new AesGcmCipher(Key.AsSpan(0, 32), Key.AsSpan(32, 12)),
            _ => new AesCtrHmacEtmCipher(Key.AsSpan(0, 32), Key.AsSpan(32, 16), Key),
        };
        codec.SetReceiveCipher(cipher, resetSequence: true);
        codec.DecodeForTest(input.AsSpan(1));
    }

    public static void KexInit(byte[] input) => KexInitMessage.Decode(input);

    /// <summary>
    /// A sequence of messages, each prefixed by a 2-byte length, dispatched to a detached server session
    /// (authentication and connection handlers) or, when the first byte is odd, to a client transport.
    /// </summary>
    public static void Message(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }
        var messages = Split(input.AsSpan(1));
        if ((input[0] & 1) == 0)
        {
            var session = SshServerSession.CreateDetached(Stream.Null, new SshServerOptions
            {
                HostKeys = [new PrivateKeyHostKey(HostKey)],
                Authenticator = new RefuseAll(),
                ChannelHandler = (s, r, t) => ValueTask.FromResult(Connection.ChannelOpenDecision.Accept((c, ct) => Task.CompletedTask)),
            });
            session.ConnectionProtocolActive = (input[0] & 2) != 0;
            foreach (var message in messages)
            {
                Wait(session.DispatchForTestAsync(message).AsTask());
            }
        }
        else
        {
            var transport = new SshTransport(Stream.Null, new SshTransportOptions(), false, hostKeyVerifier: new PinnedHostKeyVerifier(HostKey.PublicKey));
            foreach (var message in messages)
            {
                Wait(transport.HandleTransportMessageAsync(message, CancellationToken.None).AsTask());
            }
        }
    }

    private static void Wait(Task task)
    {
        if (!task.Wait(TimeSpan.FromSeconds(5)))
        {
            throw new TimeoutException("A handler hung");
        }
    }

    internal static List<byte[]> Split(ReadOnlySpan<byte> data)
    {
        var messages = new List<byte[]>();
        while (data.Length >= 3 && messages.Count < 16)
        {
            var length = Math.Min(data.Length - 2, (data[0] << 8) | data[1]);
            if (length > 0)
            {
                messages.Add(data.Slice(2, length).ToArray());
            }
            data = data[(2 + length)..];
        }
        return messages;
    }
}

/// <summary>Byte flips, insertions, deletions, length bombs and splices, as a small stand-in for AFL's havoc stage.</summary>
internal static class Mutator
{
    public static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        var edits = random.Next(1, 8);
        for (var i = 0; i < edits; i++)
        {
            var position = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(6))
            {
                case 0 when data.Count > 0: data[position] ^= (byte)(1 << random.Next(8)); break;
                case 1 when data.Count > 0: data[position] = (byte)random.Next(256); break;
                case 2: data.Insert(position, (byte)random.Next(256)); break;
                case 3 when data.Count > 0: data.RemoveAt(position); break;
                case 4 when data.Count > position + 4:
                    var bomb = random.Next(2) == 0 ? new byte[] { 0xff, 0xff, 0xff, 0xf0 } : [0x7f, 0xff, 0xff, (byte)random.Next(256)];
                    for (var j = 0; j < 4; j++)
                    {
                        data[position + j] = bomb[j];
                    }
                    break;
                default:
                    if (data.Count > 0)
                    {
                        data.RemoveRange(position, data.Count - position);
                    }
                    break;
            }
        }
        return [.. data];
    }
}

internal sealed class RefuseAll : Authentication.SshServerAuthenticator
{
}
