using System.Security.Cryptography;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>ecdh-sha2-nistp256 (RFC 5656 §4): uncompressed points, K is the x coordinate as an mpint.</summary>
internal sealed class EcdhNistP256KeyExchange : KeyExchangeMethod
{
    private readonly ECDiffieHellman _ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    public override string Name => KeyExchangeNames.EcdhNistP256;
    public override HashAlgorithmName HashAlgorithm => HashAlgorithmName.SHA256;

    public override byte[] CreateClientPublic() => PublicPoint();

    public override (byte[] ServerPublic, byte[] EncodedSecret) RespondToClient(ReadOnlySpan<byte> clientPublic) =>
        (PublicPoint(), Agree(clientPublic));

    public override byte[] CompleteWithServer(ReadOnlySpan<byte> serverPublic) => Agree(serverPublic);

    private byte[] PublicPoint()
    {
        var q = _ecdh.ExportParameters(false).Q;
        var point = new byte[65];
        point[0] = 4;
        q.X!.CopyTo(point, 1);
        q.Y!.CopyTo(point, 33);
        return point;
    }

    private byte[] Agree(ReadOnlySpan<byte> peerPoint)
    {
        if (peerPoint.Length != 65 || peerPoint[0] != 4)
        {
            throw Invalid("P-256 point must be 65 bytes, uncompressed");
        }
        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPoint[1..33].ToArray(), Y = peerPoint[33..].ToArray() },
            });
            var secret = _ecdh.DeriveRawSecretAgreement(peer.PublicKey);
            return EncodeMpint(secret);
        }
        catch (CryptographicException e)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "Invalid P-256 public point", e);
        }
    }

    public override void Dispose()
    {
        _ecdh.Dispose();
        base.Dispose();
    }
}
