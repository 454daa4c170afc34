using System.Security.Cryptography;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>
/// One ephemeral key agreement of an ECDH-shaped method (RFC 5656 §4, RFC 8731, and the hybrid KEMs):
/// the client sends Q_C, the server answers Q_S, both derive the shared secret K. K is returned already
/// encoded the way the exchange hash and the key derivation consume it (an mpint for the classical methods,
/// a string for the hybrid post-quantum ones). An instance serves exactly one exchange.
/// </summary>
internal abstract class KeyExchangeMethod : IDisposable
{
    public abstract string Name { get; }

    public abstract HashAlgorithmName HashAlgorithm { get; }

    /// <summary>Client: creates the ephemeral key(s) and returns Q_C.</summary>
    public abstract byte[] CreateClientPublic();

    /// <summary>Server: consumes Q_C, returns Q_S and the encoded shared secret.</summary>
    public abstract (byte[] ServerPublic, byte[] EncodedSecret) RespondToClient(ReadOnlySpan<byte> clientPublic);

    /// <summary>Client: consumes Q_S and returns the encoded shared secret.</summary>
    public abstract byte[] CompleteWithServer(ReadOnlySpan<byte> serverPublic);

    public byte[] Hash(ReadOnlySpan<byte> data) => HashAlgorithm.Name switch
    {
        "SHA256" => SHA256.HashData(data),
        "SHA384" => SHA384.HashData(data),
        _ => SHA512.HashData(data),
    };

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }

    public static KeyExchangeMethod Create(string name) => name switch
    {
        KeyExchangeNames.Curve25519Sha256 or KeyExchangeNames.Curve25519Sha256LibSsh => new Curve25519KeyExchange(name),
        KeyExchangeNames.EcdhNistP256 => new EcdhNistP256KeyExchange(),
        KeyExchangeNames.MlKem768X25519 => new MlKem768X25519KeyExchange(),
        KeyExchangeNames.Sntrup761X25519 or KeyExchangeNames.Sntrup761X25519OpenSsh => new Sntrup761X25519KeyExchange(name),
        _ => throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"Unsupported key exchange '{name}'"),
    };

    protected static SshProtocolException Invalid(string what) =>
        new(DisconnectReason.KeyExchangeFailed, $"Invalid key exchange value: {what}");

    /// <summary>RFC 4251 §5 mpint of an unsigned big-endian number, with its uint32 length prefix.</summary>
    internal static byte[] EncodeMpint(ReadOnlySpan<byte> unsignedBigEndian)
    {
        var value = unsignedBigEndian;
        while (!value.IsEmpty && value[0] == 0)
        {
            value = value[1..];
        }
        var pad = !value.IsEmpty && (value[0] & 0x80) != 0 ? 1 : 0;
        var result = new byte[4 + pad + value.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, (uint)(pad + value.Length));
        value.CopyTo(result.AsSpan(4 + pad));
        return result;
    }

    /// <summary>RFC 4251 §5 string with its uint32 length prefix.</summary>
    internal static byte[] EncodeString(ReadOnlySpan<byte> value)
    {
        var result = new byte[4 + value.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, (uint)value.Length);
        value.CopyTo(result.AsSpan(4));
        return result;
    }
}

/// <summary>Key exchange method names (and the pseudo-algorithms that share their name-list).</summary>
public static class KeyExchangeNames
{
    public const string Curve25519Sha256 = "curve25519-sha256";
    public const string Curve25519Sha256LibSsh = "curve25519-sha256@libssh.org";
    public const string EcdhNistP256 = "ecdh-sha2-nistp256";
    public const string MlKem768X25519 = "mlkem768x25519-sha256";
    public const string Sntrup761X25519 = "sntrup761x25519-sha512";
    public const string Sntrup761X25519OpenSsh = "sntrup761x25519-sha512@openssh.com";

    /// <summary>Strict KEX (OpenSSH PROTOCOL §1.10, the Terrapin countermeasure).</summary>
    public const string StrictServer = "kex-strict-s-v00@openssh.com";
    public const string StrictClient = "kex-strict-c-v00@openssh.com";

    /// <summary>RFC 8308 §2.1 ext-info signalling.</summary>
    public const string ExtInfoClient = "ext-info-c";
    public const string ExtInfoServer = "ext-info-s";

    public static readonly IReadOnlyList<string> All =
    [
        MlKem768X25519, Sntrup761X25519, Sntrup761X25519OpenSsh, Curve25519Sha256, Curve25519Sha256LibSsh, EcdhNistP256,
    ];
}
