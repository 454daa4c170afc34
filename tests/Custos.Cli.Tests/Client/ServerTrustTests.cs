using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Custos.Cli.Client;
using Custos.Testing;

namespace Custos.Cli.Tests.Client;

public sealed class ServerTrustTests
{
    private const SslPolicyErrors Untrusted = SslPolicyErrors.RemoteCertificateChainErrors;

    [Fact]
    public void Pinned_fingerprint_accepts_that_certificate_whatever_the_chain_says()
    {
        using var server = TestCertificates.SelfSigned();
        var trust = ServerTrust.Pinned(SHA256.HashData(server.RawData));
        Assert.True(trust.Validate(server, null, Untrusted));
    }

    [Fact]
    public void Pinned_fingerprint_refuses_any_other_certificate_and_says_which_was_seen()
    {
        using var server = TestCertificates.SelfSigned();
        using var impostor = TestCertificates.SelfSigned();
        var trust = ServerTrust.Pinned(SHA256.HashData(server.RawData));
        Assert.False(trust.Validate(impostor, null, SslPolicyErrors.None));
        Assert.Contains(CertificateFingerprint.Of(impostor), trust.LastRefusal);
    }

    [Fact]
    public void Ca_file_holding_the_self_signed_server_certificate_trusts_exactly_it()
    {
        using var dir = new TempDirectory();
        using var server = TestCertificates.SelfSigned();
        using var other = TestCertificates.SelfSigned();
        var trust = ServerTrust.FromCaFile(TestCertificates.WritePem(dir.Combine("server.crt"), server));
        Assert.True(trust.Validate(server, null, Untrusted));
        Assert.False(trust.Validate(other, null, Untrusted));
        Assert.NotNull(trust.LastRefusal);
    }

    [Fact]
    public void Ca_file_trusts_a_certificate_its_ca_issued_and_refuses_one_from_another_ca()
    {
        using var dir = new TempDirectory();
        using var ca = TestCertificates.CreateCa();
        using var otherCa = TestCertificates.CreateCa("Other CA");
        using var leaf = TestCertificates.IssueLeaf(ca);
        using var foreign = TestCertificates.IssueLeaf(otherCa);
        var trust = ServerTrust.FromCaFile(TestCertificates.WritePem(dir.Combine("ca.pem"), ca));
        Assert.True(trust.Validate(leaf, null, Untrusted));
        Assert.False(trust.Validate(foreign, null, Untrusted));
    }

    [Fact]
    public void Ca_file_refuses_its_own_ca_certificate_for_the_wrong_host_name()
    {
        using var dir = new TempDirectory();
        using var ca = TestCertificates.CreateCa();
        using var leaf = TestCertificates.IssueLeaf(ca);
        var trust = ServerTrust.FromCaFile(TestCertificates.WritePem(dir.Combine("ca.pem"), ca));
        Assert.False(trust.Validate(leaf, null, Untrusted | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Contains("host name", trust.LastRefusal);
    }

    [Fact]
    public void Ca_file_may_be_der()
    {
        using var dir = new TempDirectory();
        using var server = TestCertificates.SelfSigned();
        var path = dir.Combine("server.der");
        File.WriteAllBytes(path, server.RawData);
        Assert.True(ServerTrust.FromCaFile(path).Validate(server, null, Untrusted));
    }

    [Fact]
    public void Missing_or_non_certificate_ca_file_is_a_usage_error_naming_the_option()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<CliException>(() => ServerTrust.FromCaFile(dir.Combine("absent.pem")));
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.StartsWith("--ca-file:", missing.Message, StringComparison.Ordinal);

        File.WriteAllText(dir.Combine("junk.pem"), "not a certificate");
        var junk = Assert.Throws<CliException>(() => ServerTrust.FromCaFile(dir.Combine("junk.pem")));
        Assert.Equal(ExitCodes.Usage, junk.ExitCode);
    }

    [Fact]
    public void System_trust_accepts_a_clean_chain_and_refuses_an_untrusted_one_without_asking()
    {
        using var server = TestCertificates.SelfSigned();
        var trust = ServerTrust.System();
        Assert.True(trust.Validate(server, null, SslPolicyErrors.None));
        Assert.False(trust.Validate(server, null, Untrusted));
        Assert.Contains("--fingerprint " + CertificateFingerprint.Of(server), trust.LastRefusal);
    }

    [Fact]
    public void Certificate_accepted_by_the_user_is_pinned_for_the_rest_of_the_run()
    {
        using var server = TestCertificates.SelfSigned();
        using var other = TestCertificates.SelfSigned();
        var asked = 0;
        var trust = ServerTrust.System(_ => { asked++; return true; });
        Assert.True(trust.Validate(server, null, Untrusted));
        Assert.True(trust.AcceptedInteractively);
        Assert.Equal(CertificateFingerprint.Of(server), trust.Fingerprint);
        Assert.True(trust.Validate(server, null, Untrusted));
        Assert.False(trust.Validate(other, null, Untrusted));
        Assert.Equal(1, asked);
    }

    [Fact]
    public void Certificate_declined_by_the_user_is_refused()
    {
        using var server = TestCertificates.SelfSigned();
        var trust = ServerTrust.System(_ => false);
        Assert.False(trust.Validate(server, null, Untrusted));
        Assert.False(trust.AcceptedInteractively);
        Assert.Null(trust.Fingerprint);
    }

    [Fact]
    public void No_certificate_is_refused()
    {
        Assert.False(ServerTrust.System(_ => true).Validate(null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }
}
