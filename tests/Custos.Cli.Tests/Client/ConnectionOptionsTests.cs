using System.CommandLine;
using Custos.Cli.Client;

namespace Custos.Cli.Tests.Client;

public sealed class ConnectionOptionsTests
{
    private static readonly string Pin = "SHA256:" + new string('A', 42) + "E";

    private static (ConnectionOptions Options, ParseResult Parse) Parse(string line)
    {
        var options = new ConnectionOptions();
        var command = new RootCommand();
        options.AddTo(command);
        var parse = command.Parse(line.Length == 0 ? [] : line.Split(' '));
        Assert.Empty(parse.Errors);
        return (options, parse);
    }

    [Fact]
    public void Flags_override_the_profile()
    {
        var (options, parse) = Parse("--server https://other.example:8443 --ca-file /tmp/ca.pem");
        var settings = options.Resolve(parse, new Profile("https://custos.example:8443", null, Pin, "alice"));
        Assert.Equal("https://other.example:8443", settings.ServerText);
        Assert.Equal("/tmp/ca.pem", settings.CaFile);
        Assert.Null(settings.Fingerprint);
    }

    [Fact]
    public void Profile_supplies_the_server_and_its_trust()
    {
        var (options, parse) = Parse("");
        var settings = options.Resolve(parse, new Profile("https://custos.example:8443", null, Pin, "alice"));
        Assert.Equal(new Uri("https://custos.example:8443/"), settings.Server);
        Assert.Equal(Pin, settings.Fingerprint);
    }

    [Fact]
    public void Profile_trust_is_not_carried_to_another_server()
    {
        var (options, parse) = Parse("--server https://elsewhere.example");
        var settings = options.Resolve(parse, new Profile("https://custos.example:8443", "/etc/ca.pem", null, "alice"));
        Assert.Null(settings.CaFile);
        Assert.Null(settings.Fingerprint);
    }

    [Fact]
    public void Without_flag_or_profile_the_server_is_a_usage_error()
    {
        var (options, parse) = Parse("");
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => options.Resolve(parse, null)).ExitCode);
    }

    [Theory]
    [InlineData("https://custos.example", "https://custos.example/")]
    [InlineData("https://custos.example:8443/custos", "https://custos.example:8443/custos/")]
    [InlineData("https://[::1]:3080", "https://[::1]:3080/")]
    public void Server_url_gets_a_trailing_slash_so_api_paths_resolve_under_it(string text, string expected)
    {
        Assert.Equal(new Uri(expected), ConnectionOptions.ParseServerUrl(text, out _));
        Assert.Equal(new Uri(expected + "v1/auth/login"), new Uri(ConnectionOptions.ParseServerUrl(text, out _)!, "v1/auth/login"));
    }

    [Theory]
    [InlineData("http://custos.example")]
    [InlineData("custos.example:8443")]
    [InlineData("https://custos.example/?x=1")]
    public void Server_url_must_be_plain_https(string text)
    {
        Assert.Null(ConnectionOptions.ParseServerUrl(text, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Saved_profile_keeps_an_interactively_accepted_pin()
    {
        using var certificate = TestCertificates.SelfSigned();
        var trust = ServerTrust.System(_ => true);
        Assert.True(trust.Validate(certificate, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        var settings = new ConnectionSettings(new Uri("https://custos.example/"), null, null);
        var profile = settings.ToProfile(null, trust, "alice");
        Assert.Equal(CertificateFingerprint.Of(certificate), profile.Fingerprint);
        Assert.Equal("https://custos.example", profile.Server);
        Assert.Equal("alice", profile.User);
    }
}
