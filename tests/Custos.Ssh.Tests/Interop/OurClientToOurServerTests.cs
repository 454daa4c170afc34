using Custos.Ssh.Authentication;
using Custos.Ssh.Certificates;
using Custos.Ssh.Client;
using Custos.Ssh.Keys;
using Custos.Ssh.Server;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Ssh.Tests.Interop;

/// <summary>Our client against our server: both roles of every algorithm, certificates in both directions, re-keying.</summary>
public sealed class OurClientToOurServerTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly SshPrivateKey _userCa = SshPrivateKey.Generate();
    private readonly SshPrivateKey _hostCa = SshPrivateKey.Generate();
    private readonly SshPrivateKey _userKey = SshPrivateKey.Generate();
    private OurServer _server = null!;
    private SshPrivateKey _certifiedHostKey = null!;

    public ValueTask InitializeAsync()
    {
        _certifiedHostKey = SshPrivateKey.Generate();
        var hostCertificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = _certifiedHostKey.PublicKey,
            Type = SshCertificateType.Host,
            Principals = ["custos.test"],
        }, _hostCa);
        var validator = new SshCertificateValidator([_userCa.PublicKey], TimeProvider.System);
        _server = new OurServer(configure: options => options with
        {
            HostKeys = [.. options.HostKeys, new PrivateKeyHostKey(_certifiedHostKey, hostCertificate.Blob)],
            Authenticator = new CertificateAuthenticator(validator, options.Authenticator!),
        });
        _server.Authenticator.Allow(_userKey.PublicKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _userCa.Dispose();
        _hostCa.Dispose();
        _userKey.Dispose();
        _certifiedHostKey.Dispose();
    }

    public static TheoryData<string, string> Algorithms()
    {
        var data = new TheoryData<string, string>();
        foreach (var kex in KeyExchangeNames.All)
        {
            foreach (var cipher in CipherNames.All)
            {
                data.Add(kex, cipher);
            }
        }
        return data;
    }

    private Task<SshClientSession> ConnectAsync(SshTransportOptions? transport = null, IHostKeyVerifier? verifier = null) =>
        SshClientSession.ConnectAsync("127.0.0.1", _server.Port, new SshClientOptions
        {
            HostKeyVerifier = verifier ?? new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey, _server.EcdsaHostKey.PublicKey, _server.RsaHostKey.PublicKey),
            Transport = transport ?? new SshTransportOptions(),
        }, Token);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Every_key_exchange_and_cipher_works_in_both_roles(string kex, string cipher)
    {
        await using var client = await ConnectAsync(new SshTransportOptions { KeyExchangeAlgorithms = [kex], Ciphers = [cipher] });
        Assert.True(await client.AuthenticateWithKeyAsync("tester", _userKey, cancellationToken: Token));

        var result = await client.ExecuteAsync("cat", "round trip"u8.ToArray(), Token);

        Assert.Equal("round trip", result.Output);
        Assert.Equal(0u, result.ExitStatus);
        Assert.Equal(kex, client.NegotiatedKeyExchange);
        Assert.Equal(cipher, client.NegotiatedCipher);
    }

    [Theory]
    [InlineData(SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP256)]
    [InlineData(SshKeyType.Rsa)]
    public async Task Each_host_key_type_is_verified_by_pinning(SshKeyType type)
    {
        var key = type switch { SshKeyType.Ed25519 => _server.Ed25519HostKey, SshKeyType.EcdsaP256 => _server.EcdsaHostKey, _ => _server.RsaHostKey };
        await using var client = await ConnectAsync(verifier: new PinnedHostKeyVerifier(key.PublicKey));

        Assert.Equal(key.PublicKey.SignatureAlgorithms.First(a => a != "ssh-rsa"), client.NegotiatedHostKeyAlgorithm);
    }

    [Fact]
    public async Task An_unpinned_host_key_is_refused_with_host_key_not_verifiable()
    {
        using var stranger = SshPrivateKey.Generate();
        var error = await Assert.ThrowsAsync<SshProtocolException>(() => ConnectAsync(verifier: new PinnedHostKeyVerifier(stranger.PublicKey)));

        Assert.Equal(DisconnectReason.HostKeyNotVerifiable, error.Reason);
    }

    [Fact]
    public async Task Our_host_certificate_is_verified_against_the_host_CA()
    {
        var validator = new SshCertificateValidator([_hostCa.PublicKey], TimeProvider.System);
        await using var client = await ConnectAsync(verifier: new HostCertificateVerifier(validator, "custos.test"));

        Assert.Equal("ssh-ed25519-cert-v01@openssh.com", client.NegotiatedHostKeyAlgorithm);
    }

    [Fact]
    public async Task A_user_certificate_is_validated_and_its_result_is_available_to_the_caller()
    {
        using var key = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = key.PublicKey,
            KeyId = "alice@custos",
            Principals = ["alice"],
            CriticalOptions = [new SshCertificateOption(SshCertificateOptionNames.ForceCommand, "echo forced")],
        }, _userCa);
        await using (var wrongUser = await ConnectAsync())
        {
            Assert.False(await wrongUser.AuthenticateWithKeyAsync("bob", key, certificate, Token));
        }
        await using var client = await ConnectAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("alice", key, certificate, Token));

        var session = _server.Sessions.Single(s => s.AuthenticationContext?.UserName == "alice");
        var validation = Assert.IsType<SshCertificateValidationResult>(session.AuthenticationContext!.State);
        Assert.Equal("echo forced", validation.ForceCommand);
        Assert.IsType<SshCertificate>(session.AuthenticationContext.AuthenticatedKey);
    }

    [Fact]
    public async Task Keyboard_interactive_is_answered_by_the_client_callback()
    {
        await using var client = await ConnectAsync();

        Assert.False(await client.AuthenticateKeyboardInteractiveAsync("tester", step => ["wrong"], Token));
        Assert.True(await client.AuthenticateKeyboardInteractiveAsync("tester", step =>
        {
            Assert.Equal("Code: ", Assert.Single(step.Prompts).Prompt);
            return [TestAuthenticator.Code];
        }, Token));
    }

    [Fact]
    public async Task Too_many_failed_attempts_disconnect_with_no_more_auth_methods()
    {
        await using var client = await ConnectAsync();
        using var stranger = SshPrivateKey.Generate();

        var error = await Assert.ThrowsAsync<SshProtocolException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await client.AuthenticateWithKeyAsync("tester", stranger, cancellationToken: Token);
            }
        });
        Assert.Equal(DisconnectReason.NoMoreAuthMethodsAvailable, error.Reason);
    }

    [Fact]
    public async Task The_server_disconnects_a_client_that_exceeds_the_login_grace_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new OurServer(configure: o => o with { LoginGraceTime = TimeSpan.FromSeconds(30), Transport = o.Transport with { TimeProvider = time } });
        await using var client = await SshClientSession.ConnectAsync("127.0.0.1", server.Port,
            new SshClientOptions { HostKeyVerifier = new PinnedHostKeyVerifier(server.Ed25519HostKey.PublicKey) }, Token);
        await WaitUntil(() => !server.Sessions.IsEmpty);

        time.Advance(TimeSpan.FromSeconds(31));

        var error = await Assert.ThrowsAsync<SshProtocolException>(async () => await client.Transport.ReceiveAsync(Token));
        Assert.Equal(DisconnectReason.ByApplication, error.Reason);
    }

    [Fact]
    public async Task Unauthenticated_connections_over_the_cap_are_closed_at_once()
    {
        await using var server = new OurServer(configure: o => o with { MaxUnauthenticatedConnections = 2 });
        var options = new SshClientOptions { HostKeyVerifier = new PinnedHostKeyVerifier(server.Ed25519HostKey.PublicKey) };
        await using var first = await SshClientSession.ConnectAsync("127.0.0.1", server.Port, options, Token);
        await using var second = await SshClientSession.ConnectAsync("127.0.0.1", server.Port, options, Token);

        await Assert.ThrowsAnyAsync<Exception>(() => SshClientSession.ConnectAsync("127.0.0.1", server.Port, options, Token));
    }

    [Fact]
    public async Task Either_side_may_re_key_and_the_byte_limit_triggers_re_keying()
    {
        await using var client = await ConnectAsync(new SshTransportOptions { RekeyBytes = 1024 * 1024 });
        Assert.True(await client.AuthenticateWithKeyAsync("tester", _userKey, cancellationToken: Token));
        var payload = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(payload);

        var result = await client.ExecuteAsync("cat", payload, Token);
        var server = _server.Sessions.Single(s => s.AuthenticationContext is not null && s.KeyExchangeCount > 1);
        await server.RekeyAsync(Token);
        var after = await client.ExecuteAsync("echo after", cancellationToken: Token);

        Assert.Equal(payload, result.StandardOutput);
        Assert.True(client.KeyExchangeCount >= 8, $"{client.KeyExchangeCount} key exchanges");
        Assert.Equal("after\n", after.Output);
    }

    [Fact]
    public async Task No_more_sessions_is_honoured()
    {
        await using var client = await ConnectAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("tester", _userKey, cancellationToken: Token));

        await client.SendGlobalRequestAsync("no-more-sessions@openssh.com", default, wantReply: false, Token);
        var (keepalive, _) = await client.SendGlobalRequestAsync("keepalive@openssh.com", default, wantReply: true, Token);

        Assert.False(keepalive);
        var error = await Assert.ThrowsAsync<Custos.Ssh.Connection.SshChannelOpenException>(() => client.OpenSessionAsync(Token));
        Assert.Equal(Custos.Ssh.Connection.ChannelOpenFailureReason.AdministrativelyProhibited, error.Reason);
    }

    [Fact]
    public async Task Tcpip_forward_is_refused_unless_the_policy_allows_it()
    {
        await using var client = await ConnectAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("tester", _userKey, cancellationToken: Token));
        var request = new Custos.Ssh.Wire.SshWriter();
        request.WriteUtf8String("127.0.0.1");
        request.WriteUInt32(8022);

        var (success, _) = await client.SendGlobalRequestAsync("tcpip-forward", request.WrittenMemory, wantReply: true, Token);

        Assert.False(success);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25, Token);
        }
    }
}
