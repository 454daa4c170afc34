using System.Security.Cryptography;
using Custos.Cli.Client;

namespace Custos.Cli.Tests.Client;

public sealed class CertificateFingerprintTests
{
    [Fact]
    public void Fingerprint_is_unpadded_base64_of_sha256_over_the_der()
    {
        using var certificate = TestCertificates.SelfSigned();
        var expected = "SHA256:" + Convert.ToBase64String(SHA256.HashData(certificate.RawData)).TrimEnd('=');
        Assert.Equal(expected, CertificateFingerprint.Of(certificate));
        Assert.Equal(50, expected.Length);
        Assert.DoesNotContain('=', expected);
    }

    [Fact]
    public void Formatted_fingerprint_parses_back_to_the_hash()
    {
        var hash = RandomNumberGenerator.GetBytes(32);
        Assert.True(CertificateFingerprint.TryParse(CertificateFingerprint.Format(hash), out var parsed, out _));
        Assert.Equal(hash, parsed);
    }

    [Fact]
    public void Padding_and_prefix_case_are_tolerated_and_normalised()
    {
        var hash = RandomNumberGenerator.GetBytes(32);
        var padded = "sha256:" + Convert.ToBase64String(hash);
        Assert.True(CertificateFingerprint.TryParse(padded, out var parsed, out _));
        Assert.Equal(hash, parsed);
        Assert.Equal(CertificateFingerprint.Format(hash), CertificateFingerprint.Normalize(padded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("MD5:abc")]
    [InlineData("SHA256:")]
    [InlineData("SHA256:tooShort")]
    [InlineData("SHA256:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AB:CD:EF")]
    public void Malformed_fingerprints_are_refused_with_a_reason(string text)
    {
        Assert.False(CertificateFingerprint.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
        var e = Assert.Throws<CliException>(() => CertificateFingerprint.Normalize(text));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }
}
