using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Transport;

/// <summary>The binary packet decoder (RFC 4253 §6) on random and mutated input, for every cipher.</summary>
public class PacketDecoderProperties
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];
    private static readonly byte[] Iv = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];

    private static PacketCipher Cipher(byte choice) => (choice % 5) switch
    {
        0 => NoneCipher.Instance,
        1 => new ChaCha20Poly1305Cipher(Key),
        2 => new AesGcmCipher(Key.AsSpan(0, 32), Iv),
        3 => new AesGcmCipher(Key.AsSpan(0, 16), Iv),
        _ => new AesCtrHmacEtmCipher(Key.AsSpan(0, 32), Iv, Key.AsSpan(32, 32)),
    };

    private static PacketCodec Decoder(byte choice)
    {
        var codec = new PacketCodec(Stream.Null);
        codec.SetReceiveCipher(Cipher(choice), resetSequence: true);
        return codec;
    }

    [Property(MaxTest = 500)]
    public void Random_bytes_raise_only_protocol_errors(byte[] data, byte cipher)
    {
        using var codec = Decoder(cipher);
        ProtocolInput.OnlyProtocolErrors(data.Length, () => codec.DecodeForTest(data));
    }

    [Property(MaxTest = 500)]
    public void Mutated_packets_are_rejected_or_decode_to_the_original_payload(byte[] payload, int[] positions, byte[] values, int lengthBomb, int cut, byte cipher)
    {
        if (payload.Length == 0)
        {
            payload = [42];
        }
        using var sender = new PacketCodec(Stream.Null);
        sender.SetSendCipher(Cipher(cipher), resetSequence: true);
        var length = sender.Encode(payload);
        var packet = sender.SendBufferForTest[..length].ToArray();
        var mutated = HostileInput.Mutate(packet, positions, values, lengthBomb, cut);
        using var receiver = Decoder(cipher);
        ProtocolInput.OnlyProtocolErrors(mutated.Length, () =>
        {
            var decoded = receiver.DecodeForTest(mutated);
            // With authenticated ciphers any change is caught; with none, only the padding may differ.
            if (cipher % 5 != 0)
            {
                Assert.Equal(payload, decoded.ToArray());
            }
        });
    }

    [Property(MaxTest = 200)]
    public void Every_payload_round_trips_through_every_cipher(byte[] payload, byte cipher)
    {
        if (payload.Length == 0)
        {
            payload = [1];
        }
        using var sender = new PacketCodec(Stream.Null);
        sender.SetSendCipher(Cipher(cipher), resetSequence: true);
        using var receiver = Decoder(cipher);
        for (var i = 0; i < 3; i++)
        {
            var length = sender.Encode(payload);
            Assert.Equal(payload, receiver.DecodeForTest(sender.SendBufferForTest[..length]).ToArray());
        }
    }
}
