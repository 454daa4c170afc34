using System.Security.Cryptography;
using System.Text;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;
using NSec.Cryptography;

namespace Custos.Ssh.Keys;

/// <summary>
/// The FIDO/U2F key types of PROTOCOL.u2f. The authenticator signs
/// <c>SHA256(application) || flags || uint32 counter || extensions || SHA256(message)</c>; this builds that
/// data so the Ed25519 and ECDSA verifiers can check it.
/// </summary>
internal static class SecurityKeySignedData
{
    public static byte[] Build(string application, ReadOnlySpan<byte> message, byte flags, uint counter)
    {
        byte[] signed = new byte[32 + 1 + 4 + 32];
        SHA256.HashData(Encoding.UTF8.GetBytes(application), signed.AsSpan(0, 32));
        signed[32] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(signed.AsSpan(33, 4), counter);
        SHA256.HashData(message, signed.AsSpan(37, 32));
        return signed;
    }

    public static string ReadApplication(ref SshReader reader)
    {
        string application = reader.ReadUtf8String();
        if (application.Length == 0)
        {
            throw new SshFormatException("A security key needs a non-empty application string.");
        }

        return application;
    }
}

/// <summary><c>sk-ssh-ed25519@openssh.com</c>: <c>string type, string key[32], string application</c>.</summary>
internal sealed class SecurityKeyEd25519PublicKey : SshPublicKey
{
    private static readonly string[] Algorithms = [SshAlgorithmNames.SecurityKeyEd25519];
    private readonly PublicKey _key;

    private SecurityKeyEd25519PublicKey(byte[] blob, PublicKey key, string application)
        : base(SshAlgorithmNames.SecurityKeyEd25519, blob)
    {
        _key = key;
        Application = application;
    }

    /// <summary>The FIDO application (relying party) string, usually <c>ssh:</c>.</summary>
    public string Application { get; }

    public override SshKeyType KeyType => SshKeyType.SecurityKeyEd25519;

    public override int KeySize => 256;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    internal static SecurityKeyEd25519PublicKey ReadBody(ref SshReader reader, byte[] blob)
    {
        PublicKey key = Ed25519PublicKey.Import(reader.ReadString());
        return new SecurityKeyEd25519PublicKey(blob, key, SecurityKeySignedData.ReadApplication(ref reader));
    }

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature)
    {
        byte[] signed = SecurityKeySignedData.Build(Application, data, signature.SecurityKeyFlags, signature.SecurityKeyCounter);
        return Ed25519PublicKey.VerifyRaw(_key, signed, signature.Signature.Span);
    }
}

/// <summary><c>sk-ecdsa-sha2-nistp256@openssh.com</c>: <c>string type, string "nistp256", string Q, string application</c>.</summary>
internal sealed class SecurityKeyEcdsaPublicKey : SshPublicKey
{
    private static readonly string[] Algorithms = [SshAlgorithmNames.SecurityKeyEcdsaP256];
    private readonly Lazy<ECDsa?> _ecdsa;

    private SecurityKeyEcdsaPublicKey(byte[] blob, Lazy<ECDsa?> ecdsa, string application)
        : base(SshAlgorithmNames.SecurityKeyEcdsaP256, blob)
    {
        _ecdsa = ecdsa;
        Application = application;
    }

    public string Application { get; }

    public override SshKeyType KeyType => SshKeyType.SecurityKeyEcdsaP256;

    public override int KeySize => 256;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    internal static SecurityKeyEcdsaPublicKey ReadBody(ref SshReader reader, byte[] blob)
    {
        EcdsaPublicKey.ReadCurveName(ref reader, EcdsaCurve.P256);
        ReadOnlySpan<byte> q = reader.ReadString();
        EcdsaCurve.P256.ValidatePoint(q);
        return new SecurityKeyEcdsaPublicKey(blob, EcdsaPublicKey.LazyVerifier(EcdsaCurve.P256, q.ToArray()), SecurityKeySignedData.ReadApplication(ref reader));
    }

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature)
    {
        byte[] signed = SecurityKeySignedData.Build(Application, data, signature.SecurityKeyFlags, signature.SecurityKeyCounter);
        return EcdsaPublicKey.VerifySshSignature(_ecdsa.Value, EcdsaCurve.P256, signed, signature.Signature.Span, HashAlgorithmName.SHA256);
    }
}
