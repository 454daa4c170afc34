using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Signatures;

public class SignatureParserProperties
{
    [Property(MaxTest = 300)]
    public void Random_bytes_given_to_the_signature_parser_raise_only_the_format_exception(byte[] data) =>
        HostileInput.OnlyFormatErrors(data.Length, () => SshSignature.Parse(data));

    [Property(MaxTest = 500)]
    public void Mutated_signatures_never_throw_from_verify_and_never_verify_when_changed(int sample, int key, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        byte[] original = HostileInput.Samples.Pick(HostileInput.Valid.Signatures, sample);
        byte[] data = HostileInput.Mutate(original, positions, values, lengthBomb, cut);
        SshPublicKey publicKey = SshPublicKey.Parse(HostileInput.Samples.Pick(HostileInput.Valid.Keys, key));
        HostileInput.OnlyFormatErrors(data.Length, () => SshSignature.Parse(data));
        HostileInput.OnlyFormatErrors(data.Length, () =>
        {
            bool verified = publicKey.Verify("data"u8, data);
            if (verified)
            {
                // Only an unchanged blob for the matching key may verify (ECDSA blobs have one canonical form here).
                Assert.Equal(original, data);
            }
        });
    }

    [Property(MaxTest = 200)]
    public void A_signature_blob_round_trips(string? algorithm, byte[] signature, byte flags, uint counter)
    {
        string name = new([.. (algorithm ?? "x").Where(c => c > ' ' && c < 0x7f)]);
        if (name.Length == 0 || name.Length > 128)
        {
            return;
        }

        var blob = new SshSignature(name, signature, name.StartsWith("sk-", StringComparison.Ordinal) ? flags : (byte)0, name.StartsWith("sk-", StringComparison.Ordinal) ? counter : 0);

        SshSignature parsed = SshSignature.Parse(blob.Encode());

        Assert.Equal(blob.Algorithm, parsed.Algorithm);
        Assert.Equal(signature, parsed.Signature.ToArray());
        Assert.Equal(blob.SecurityKeyCounter, parsed.SecurityKeyCounter);
        Assert.Equal(blob.SecurityKeyFlags, parsed.SecurityKeyFlags);
    }
}
