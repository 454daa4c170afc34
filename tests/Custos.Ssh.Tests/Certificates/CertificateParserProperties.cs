using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Wire;
using FsCheck;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Certificates;

public class CertificateParserProperties
{
    private static readonly SshPrivateKey Ca = SshPrivateKey.Generate();
    private static readonly SshPublicKey Subject = SshPrivateKey.Generate().PublicKey;

    [Property(MaxTest = 600)]
    public void Mutated_certificates_raise_only_the_format_exception_and_never_validate_if_changed(int sample, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        byte[] original = HostileInput.Samples.Pick(HostileInput.Valid.Certificates, sample);
        byte[] data = HostileInput.Mutate(original, positions, values, lengthBomb, cut);
        HostileInput.OnlyFormatErrors(data.Length, () =>
        {
            if (SshPublicKey.Parse(data) is SshCertificate certificate && !data.AsSpan().SequenceEqual(original))
            {
                // A changed certificate may still parse, but its CA signature must not verify.
                Assert.False(certificate.HasValidSignature());
            }
        });
    }

    [Property(MaxTest = 300)]
    public void Random_fields_after_a_certificate_type_raise_only_the_format_exception(bool rsa, byte[] tail)
    {
        var writer = new SshWriter();
        writer.WriteUtf8String(rsa ? "ssh-rsa-cert-v01@openssh.com" : "ssh-ed25519-cert-v01@openssh.com");
        writer.WriteString(new byte[32]);
        writer.WriteRaw(tail);
        byte[] data = writer.ToArray();
        HostileInput.OnlyFormatErrors(data.Length, () => SshCertificate.Parse(data));
    }

    [Property(MaxTest = 100)]
    public void A_certificate_round_trips_every_field(ulong serial, bool host, NonNull<string> keyId, string[] principals, uint after, uint length, string[] extensionValues)
    {
        string[] cleanPrincipals = [.. (principals ?? []).Where(p => p is not null).Select(Clean)];
        SshCertificateOption[] extensions = [.. (extensionValues ?? []).Where(v => v is not null).Select((v, i) => new SshCertificateOption($"ext{i}@example.com", Clean(v)))];
        var fields = new SshCertificateFields
        {
            Key = Subject,
            Serial = serial,
            Type = host ? SshCertificateType.Host : SshCertificateType.User,
            KeyId = Clean(keyId.Get),
            Principals = cleanPrincipals,
            ValidAfter = DateTimeOffset.FromUnixTimeSeconds(after),
            ValidBefore = DateTimeOffset.FromUnixTimeSeconds((long)after + length + 1),
            Extensions = extensions,
            CriticalOptions = host ? [] : [new("force-command", Clean(keyId.Get) + "x")],
        };

        SshCertificate issued = SshCertificate.Issue(fields, Ca);
        SshCertificate parsed = SshCertificate.Parse(issued.Blob.Span);

        Assert.Equal(issued.Blob.ToArray(), parsed.Blob.ToArray());
        Assert.Equal(serial, parsed.Serial);
        Assert.Equal(fields.Type, parsed.Type);
        Assert.Equal(fields.KeyId, parsed.KeyId);
        Assert.Equal(cleanPrincipals.Distinct(StringComparer.Ordinal), parsed.Principals);
        Assert.Equal(after, parsed.ValidAfter);
        Assert.Equal((ulong)after + length + 1, parsed.ValidBefore);
        Assert.Equal(issued.Extensions, parsed.Extensions);
        Assert.Equal(issued.CriticalOptions, parsed.CriticalOptions);
        Assert.True(parsed.HasValidSignature());
    }

    /// <summary>Removes lone surrogates, which have no UTF-8 form.</summary>
    private static string Clean(string value) => new([.. value.Where(c => !char.IsSurrogate(c))]);
}
