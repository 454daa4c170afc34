using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Custos.Ssh.Transport.Ciphers;

/// <summary>
/// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305), not RFC 8439's AEAD: 64 bytes of key
/// material give K_2 (first 32, main) and K_1 (last 32, header). The nonce is the 64-bit sequence number.
/// K_1 encrypts packet_length; K_2's keystream block 0 yields the Poly1305 key and blocks 1.. encrypt the
/// body. The tag covers the encrypted length and the encrypted body.
/// The body keystream comes from the BCL's (OpenSSL's, vectorised) IETF ChaCha20-Poly1305: with the 96-bit
/// nonce 0x00000000 || seq it produces exactly the original ChaCha20 keystream from block 1 on, and since
/// ChaCha20 is an XOR stream, "encrypting" the ciphertext decrypts it. Its AEAD tag is discarded; the
/// OpenSSH tag, the header and the Poly1305 key use BouncyCastle; the tag uses <see cref="Poly1305"/>.
/// </summary>
internal sealed class ChaCha20Poly1305Cipher : PacketCipher
{
    private readonly KeyParameter _mainKey;
    private readonly KeyParameter _headerKey;
    private readonly ChaChaEngine _main = new(20);
    private readonly ChaChaEngine _header = new(20);
    private readonly byte[] _nonce = new byte[8];
    private readonly byte[] _block0 = new byte[64];
    private readonly byte[] _expectedTag = new byte[16];
    private readonly byte[] _ietfNonce = new byte[12];
    private readonly byte[] _discardedTag = new byte[16];
    private readonly System.Security.Cryptography.ChaCha20Poly1305? _bodyStream;

    public ChaCha20Poly1305Cipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != 64)
        {
            throw new ArgumentException("chacha20-poly1305 needs 64 bytes of key material", nameof(key));
        }
        _mainKey = new KeyParameter(key[..32]);
        _headerKey = new KeyParameter(key[32..]);
        if (System.Security.Cryptography.ChaCha20Poly1305.IsSupported)
        {
            _bodyStream = new System.Security.Cryptography.ChaCha20Poly1305(key[..32]);
        }
    }

    public override int BlockSize => 8;
    public override int TagLength => 16;

    public override void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        InitMain(sequenceNumber);
        _header.Init(true, new ParametersWithIV(_headerKey, _nonce));
        _header.ProcessBytes(packet[..4], packet[..4]);
        TransformBody(packet[4..]);
        ComputeTag(packet, tag);
    }

    public override uint ReadLength(uint sequenceNumber, ReadOnlySpan<byte> lengthField)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_nonce, sequenceNumber);
        _header.Init(false, new ParametersWithIV(_headerKey, _nonce));
        Span<byte> plain = stackalloc byte[4];
        _header.ProcessBytes(lengthField[..4], plain);
        return BinaryPrimitives.ReadUInt32BigEndian(plain);
    }

    public override void Open(uint sequenceNumber, Span<byte> packet, ReadOnlySpan<byte> tag)
    {
        InitMain(sequenceNumber);
        ComputeTag(packet, _expectedTag);
        if (!CryptographicOperations.FixedTimeEquals(_expectedTag, tag[..16]))
        {
            throw BadMac();
        }
        // Decrypt the length too, so callers see the same plaintext layout for every cipher.
        _header.Init(false, new ParametersWithIV(_headerKey, _nonce));
        _header.ProcessBytes(packet[..4], packet[..4]);
        TransformBody(packet[4..]);
    }

    private void TransformBody(Span<byte> body)
    {
        if (_bodyStream is null)
        {
            _main.ProcessBytes(body, body);
            return;
        }
        _nonce.CopyTo(_ietfNonce, 4);
        _bodyStream.Encrypt(_ietfNonce, body, body, _discardedTag);
    }

    private void InitMain(uint sequenceNumber)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_nonce, sequenceNumber);
        _main.Init(true, new ParametersWithIV(_mainKey, _nonce));
        Array.Clear(_block0);
        // Block 0 of K_2's keystream is the Poly1305 key; the body then starts at block counter 1.
        _main.ProcessBytes(_block0, 0, 64, _block0, 0);
    }

    private void ComputeTag(ReadOnlySpan<byte> packet, Span<byte> tag) => Poly1305.Compute(_block0.AsSpan(0, 32), packet, tag);

    public override void Dispose()
    {
        _bodyStream?.Dispose();
        CryptographicOperations.ZeroMemory(_block0);
        base.Dispose();
    }
}
