using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;

namespace Custos.Ssh.Certificates;

/// <summary>Placeholder, replaced by the full certificate type.</summary>
public sealed class SshCertificate : SshPublicKey
{
    private SshCertificate(string algorithm, byte[] blob, SshPublicKey key)
        : base(algorithm, blob) => Key = key;

    public SshPublicKey Key { get; }

    public override SshKeyType KeyType => Key.KeyType;

    public override int KeySize => Key.KeySize;

    public override IReadOnlyList<string> SignatureAlgorithms => Key.SignatureAlgorithms;

    public static new SshCertificate Parse(ReadOnlySpan<byte> blob) => throw new SshFormatException("Certificates are not supported yet.");

    private protected override bool VerifyCore(ReadOnlySpan<byte> data, SshSignature signature) => Key.Verify(data, signature);
}
