using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;
using NSec.Cryptography;

namespace Custos.Ssh.Keys;

/// <summary><c>ssh-ed25519</c> (RFC 8709): <c>string "ssh-ed25519", string key[32]</c>. Verification through libsodium (NSec).</summary>
internal sealed class Ed25519PublicKey : SshPublicKey
{
    private static readonly string[] Algorithms = [SshAlgorithmNames.Ed25519];
    private readonly PublicKey _key;

    private Ed25519PublicKey(byte[] blob, PublicKey key)
        : base(SshAlgorithmNames.Ed25519, blob) => _key = key;

    public override SshKeyType KeyType => SshKeyType.Ed25519;

    public override int KeySize => 256;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    internal static Ed25519PublicKey ReadBody(ref SshReader reader, byte[] blob) => new(blob, Import(reader.ReadString()));

    internal static Ed25519PublicKey FromRaw(ReadOnlySpan<byte> raw)
    {
        var writer = new SshWriter(51);
        writer.WriteUtf8String(SshAlgorithmNames.Ed25519);
        writer.WriteString(raw);
        return new Ed25519PublicKey(writer.ToArray(), Import(raw));
    }

    internal static PublicKey Import(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != 32)
        {
            throw new SshFormatException($"An Ed25519 public key is 32 bytes, not {raw.Length}.");
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out PublicKey? key) || key is null)
        {
            throw new SshFormatException("The Ed25519 public key is not a valid curve point.");
        }

        return key;
    }

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature) =>
        signature.Signature.Length == 64 && SignatureAlgorithm.Ed25519.Verify(_key, data, signature.Signature.Span);

    internal static bool VerifyRaw(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && SignatureAlgorithm.Ed25519.Verify(key, data, signature);
}
