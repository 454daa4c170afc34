using System.Net;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Ssh.Tests.Certificates;

public sealed class CertificateValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private readonly SshPrivateKey _ca = SshPrivateKey.Generate();
    private readonly SshPrivateKey _user = SshPrivateKey.Generate();
    private readonly FakeTimeProvider _time = new(Start.AddMinutes(30));

    public void Dispose()
    {
        _ca.Dispose();
        _user.Dispose();
    }

    private SshCertificate Issue(Func<SshCertificateFields, SshCertificateFields>? change = null, SshPrivateKey? ca = null)
    {
        var fields = new SshCertificateFields
        {
            Key = _user.PublicKey,
            Serial = 1,
            KeyId = "alice",
            Principals = ["alice"],
            ValidAfter = Start,
            ValidBefore = Start.AddHours(1),
            Extensions = [new("permit-pty")],
        };
        return SshCertificate.Issue(change is null ? fields : change(fields), ca ?? _ca);
    }

    private SshCertificateValidator Validator(TimeSpan skew = default) => new([_ca.PublicKey], _time, skew);

    [Fact]
    public void A_certificate_from_a_trusted_CA_within_its_window_for_a_listed_principal_is_valid()
    {
        SshCertificateValidationResult result = Validator().Validate(Issue(), SshCertificateType.User, "alice");

        Assert.True(result.IsValid, result.Failure);
        Assert.Equal(["permit-pty"], result.Extensions);
        Assert.Null(result.ForceCommand);
    }

    [Fact]
    public void A_certificate_from_an_untrusted_CA_is_refused()
    {
        using SshPrivateKey other = SshPrivateKey.Generate();

        SshCertificateValidationResult result = Validator().Validate(Issue(ca: other), SshCertificateType.User, "alice");

        Assert.Contains("not a trusted CA", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_is_refused_unless_within_the_clock_skew_allowance()
    {
        _time.SetUtcNow(Start.AddHours(1).AddSeconds(30));

        Assert.Contains("expired", Validator().Validate(Issue(), SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
        Assert.True(Validator(TimeSpan.FromMinutes(1)).Validate(Issue(), SshCertificateType.User, "alice").IsValid);
    }

    [Fact]
    public void A_certificate_is_refused_before_its_validity_starts_unless_within_the_clock_skew_allowance()
    {
        var early = new FakeTimeProvider(Start.AddSeconds(-30));

        Assert.Contains("not yet valid", new SshCertificateValidator([_ca.PublicKey], early).Validate(Issue(), SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
        Assert.True(new SshCertificateValidator([_ca.PublicKey], early, TimeSpan.FromMinutes(1)).Validate(Issue(), SshCertificateType.User, "alice").IsValid);
    }

    [Fact]
    public void A_principal_not_listed_is_refused_and_an_empty_list_is_no_wildcard()
    {
        Assert.Contains("'bob' is not listed", Validator().Validate(Issue(), SshCertificateType.User, "bob").Failure, StringComparison.Ordinal);
        Assert.Contains("no principals", Validator().Validate(Issue(f => f with { Principals = [] }), SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_certificate_is_refused_where_a_user_certificate_is_required()
    {
        SshCertificate host = Issue(f => f with { Type = SshCertificateType.Host });

        Assert.Contains("user certificate is required", Validator().Validate(host, SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_with_a_tampered_field_fails_the_signature_check()
    {
        byte[] blob = Issue().Blob.ToArray();
        int keyId = blob.AsSpan().IndexOf("alice"u8);
        blob[keyId] = (byte)'A';
        var tampered = (SshCertificate)SshPublicKey.Parse(blob);

        Assert.Contains("does not verify", Validator().Validate(tampered, SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_critical_options_are_refused_and_host_certificates_have_none()
    {
        SshCertificate unknown = Issue(f => f with { CriticalOptions = [new("permit-everything@example.com")] });
        SshCertificate host = Issue(f => f with { Type = SshCertificateType.Host, CriticalOptions = [new("force-command", "x")] });

        Assert.Contains("Unsupported critical option", Validator().Validate(unknown, SshCertificateType.User, "alice").Failure, StringComparison.Ordinal);
        Assert.False(Validator().Validate(host, SshCertificateType.Host, "alice").IsValid);
    }

    [Fact]
    public void Force_command_is_surfaced_to_the_caller()
    {
        SshCertificate certificate = Issue(f => f with { CriticalOptions = [new("force-command", "/usr/bin/rsync --server")] });

        Assert.Equal("/usr/bin/rsync --server", Validator().Validate(certificate, SshCertificateType.User, "alice").ForceCommand);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.0.1", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.168.1.7", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    [InlineData("192.0.2.0/25,2001:db8::/48", "2001:db8:1::1", false)]
    [InlineData("192.0.2.0/25,2001:db8::/48", "2001:db8::1", true)]
    [InlineData("192.0.2.0/25", "::ffff:192.0.2.5", true)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("10.0.0.1/8", "10.0.0.1", false)]
    [InlineData("not-an-address", "10.0.0.1", false)]
    [InlineData("10.0.0.0/33", "10.0.0.1", false)]
    public void Source_address_restricts_the_client_address(string sourceAddress, string client, bool allowed)
    {
        SshCertificate certificate = Issue(f => f with { CriticalOptions = [new("source-address", sourceAddress)] });

        SshCertificateValidationResult result = Validator().Validate(certificate, SshCertificateType.User, "alice", IPAddress.Parse(client));

        Assert.Equal(allowed, result.IsValid);
    }

    [Fact]
    public void A_source_address_restriction_without_a_client_address_is_refused()
    {
        SshCertificate certificate = Issue(f => f with { CriticalOptions = [new("source-address", "10.0.0.0/8")] });

        Assert.False(Validator().Validate(certificate, SshCertificateType.User, "alice").IsValid);
    }

    [Fact]
    public void A_certificate_signed_by_a_certificate_is_refused_when_parsed()
    {
        SshCertificate caCertificate = SshCertificate.Issue(new SshCertificateFields { Key = _ca.PublicKey, Principals = ["ca"] }, _ca);
        byte[] chained = ReplaceSignatureKey(Issue(), caCertificate.Blob.Span, _ca);

        var error = Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(chained));

        Assert.Contains("chains are refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_written_sorted_and_duplicates_are_rejected()
    {
        SshCertificate certificate = Issue(f => f with { Extensions = [new("permit-pty"), new("permit-X11-forwarding"), new("no-touch-required")] });

        Assert.Equal(["no-touch-required", "permit-X11-forwarding", "permit-pty"], certificate.Extensions.Select(e => e.Name));
        Assert.Throws<ArgumentException>(() => Issue(f => f with { Extensions = [new("permit-pty"), new("permit-pty")] }));
    }

    [Fact]
    public void A_parsed_certificate_with_unsorted_extensions_is_rejected()
    {
        SshCertificate certificate = Issue(f => f with { Extensions = [new("permit-agent-forwarding"), new("permit-pty")] });
        byte[] blob = certificate.Blob.ToArray();
        int first = blob.AsSpan().IndexOf("permit-agent-forwarding"u8);
        "permit-zzzzz-forwarding"u8.CopyTo(blob.AsSpan(first));

        Assert.Throws<SshFormatException>(() => SshPublicKey.Parse(blob));
    }

    /// <summary>Re-encodes a certificate with another signature key and signs it again.</summary>
    private static byte[] ReplaceSignatureKey(SshCertificate certificate, ReadOnlySpan<byte> signatureKey, SshPrivateKey signer)
    {
        ReadOnlySpan<byte> signed = certificate.SignedData.Span;
        int caLength = certificate.SignatureKey.Blob.Length + 4;
        var writer = new SshWriter();
        writer.WriteRaw(signed[..^caLength]);
        writer.WriteString(signatureKey);
        writer.WriteString(signer.Sign(writer.WrittenSpan));
        return writer.ToArray();
    }
}
