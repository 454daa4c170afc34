using System.Text;
using Custos.Ssh.Certificates;
using Custos.Ssh.Client;
using Custos.Ssh.Connection;
using Custos.Ssh.Keys;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Tests.Interop;

/// <summary>Our client against a real OpenSSH sshd.</summary>
public sealed class OurClientToRealSshdTests : IAsyncLifetime
{
    private RealSshd _sshd = null!;

    public ValueTask InitializeAsync()
    {
        _sshd = new RealSshd();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sshd.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Task<SshClientSession> ConnectPinnedAsync(SshTransportOptions? transport = null) =>
        SshClientSession.ConnectAsync("127.0.0.1", _sshd.Port, new SshClientOptions
        {
            HostKeyVerifier = new PinnedHostKeyVerifier(_sshd.HostKey.PublicKey),
            Transport = transport ?? new SshTransportOptions(),
        }, Token);

    public static TheoryData<string, string> Algorithms()
    {
        var data = new TheoryData<string, string>();
        foreach (var kex in new[] { KeyExchangeNames.Sntrup761X25519, KeyExchangeNames.Sntrup761X25519OpenSsh, KeyExchangeNames.Curve25519Sha256, KeyExchangeNames.Curve25519Sha256LibSsh, KeyExchangeNames.EcdhNistP256 })
        {
            data.Add(kex, CipherNames.ChaCha20Poly1305);
        }
        foreach (var cipher in CipherNames.All.Skip(1))
        {
            data.Add(KeyExchangeNames.Curve25519Sha256, cipher);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Key_authentication_and_exec_work_for_each_algorithm(string kex, string cipher)
    {
        await using var client = await ConnectPinnedAsync(new SshTransportOptions { KeyExchangeAlgorithms = [kex], Ciphers = [cipher] });

        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));
        var result = await client.ExecuteAsync("echo out-$((40+2)); echo err >&2; exit 7", cancellationToken: Token);

        Assert.Equal(kex, client.NegotiatedKeyExchange);
        Assert.Equal(cipher, client.NegotiatedCipher);
        Assert.True(client.StrictKex);
        Assert.Equal("out-42\n", result.Output);
        Assert.Equal("err\n", result.Error);
        Assert.Equal(7u, result.ExitStatus);
    }

    [Fact]
    public async Task A_user_certificate_from_the_trusted_CA_logs_in()
    {
        using var key = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        var certificate = SshCertificate.Issue(new SshCertificateFields
        {
            Key = key.PublicKey,
            KeyId = "cert user",
            Principals = ["root"],
            ValidBefore = DateTimeOffset.UtcNow.AddMinutes(5),
            Extensions = [.. SshCertificateOptionNames.DefaultUserExtensions.Select(e => new SshCertificateOption(e))],
        }, _sshd.UserCa);
        await using var client = await ConnectPinnedAsync();

        Assert.True(await client.AuthenticateWithKeyAsync("root", key, certificate, Token));
        Assert.Equal("cert\n", (await client.ExecuteAsync("echo cert", cancellationToken: Token)).Output);
    }

    [Fact]
    public async Task A_host_certificate_from_the_trusted_host_CA_is_accepted_and_a_foreign_one_refused()
    {
        var validator = new SshCertificateValidator([_sshd.HostCa.PublicKey], TimeProvider.System);
        await using (var client = await SshClientSession.ConnectAsync("127.0.0.1", _sshd.Port,
            new SshClientOptions { HostKeyVerifier = new HostCertificateVerifier(validator, "sshd.test") }, Token))
        {
            Assert.Equal("ssh-ed25519-cert-v01@openssh.com", client.NegotiatedHostKeyAlgorithm);
        }

        var wrongName = new HostCertificateVerifier(validator, "other.test");
        var error = await Assert.ThrowsAsync<SshProtocolException>(() =>
            SshClientSession.ConnectAsync("127.0.0.1", _sshd.Port, new SshClientOptions { HostKeyVerifier = wrongName }, Token));
        Assert.Equal(DisconnectReason.HostKeyNotVerifiable, error.Reason);
    }

    [Fact]
    public async Task A_shell_with_a_pty_runs_commands()
    {
        await using var client = await ConnectPinnedAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));
        var channel = await client.OpenSessionAsync(Token);

        Assert.True(await channel.SendRequestAsync("pty-req", SessionRequests.EncodePtyRequest("dumb", 80, 24), true, Token));
        Assert.True(await channel.SendRequestAsync("shell", default, true, Token));
        await channel.SendDataAsync("echo shell-$((1+1))\nexit 0\n"u8.ToArray(), Token);
        var result = await SshClientSession.CollectAsync(channel, Token);

        Assert.Contains("shell-2", result.Output);
        Assert.Equal(0u, result.ExitStatus);
    }

    [Fact]
    public async Task The_sftp_subsystem_answers_the_SFTP_version_handshake()
    {
        await using var client = await ConnectPinnedAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));
        var channel = await client.OpenSessionAsync(Token);

        Assert.True(await channel.SendRequestAsync("subsystem", SessionRequests.EncodeString("sftp"), true, Token));
        await channel.SendDataAsync(new byte[] { 0, 0, 0, 5, 1, 0, 0, 0, 3 }, Token); // SSH_FXP_INIT version 3
        var reply = Assert.IsType<SshChannelData>(await channel.ReceiveAsync(Token));

        Assert.Equal(2, reply.Data.Span[4]); // SSH_FXP_VERSION
        await channel.CloseAsync(Token);
    }

    [Fact]
    public async Task Re_keying_during_a_multi_gigabyte_transfer_keeps_every_byte()
    {
        // 2 GiB with a re-key every 256 MiB: eight key exchanges while data flows, in about ten seconds.
        const long total = 2L * 1024 * 1024 * 1024;
        await using var client = await ConnectPinnedAsync(new SshTransportOptions { RekeyBytes = 256L * 1024 * 1024, Ciphers = [CipherNames.Aes256Gcm] });
        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));
        var channel = await client.OpenSessionAsync(Token);
        Assert.True(await channel.SendRequestAsync("exec", SessionRequests.EncodeString($"head -c {total} /dev/zero"), true, Token));

        long received = 0;
        var nonZero = false;
        while (await channel.ReceiveAsync(Token) is { } message)
        {
            if (message is SshChannelData { ExtendedType: null } data)
            {
                received += data.Data.Length;
                nonZero |= data.Data.Span.ContainsAnyExcept((byte)0);
            }
        }

        Assert.Equal(total, received);
        Assert.False(nonZero);
        Assert.True(client.KeyExchangeCount >= 8, $"only {client.KeyExchangeCount} key exchanges");
        Assert.Equal("still alive\n", (await client.ExecuteAsync("echo still alive", cancellationToken: Token)).Output);
    }

    [Fact]
    public async Task A_command_killed_by_a_signal_reports_exit_signal()
    {
        await using var client = await ConnectPinnedAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));

        var result = await client.ExecuteAsync("kill -TERM $$", cancellationToken: Token);

        Assert.Equal("TERM", result.ExitSignal);
        Assert.Null(result.ExitStatus);
    }

    [Fact]
    public async Task Direct_tcpip_through_sshd_reaches_a_loopback_service()
    {
        await using var echo = EchoService.Start();
        await using var client = await ConnectPinnedAsync();
        Assert.True(await client.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: Token));

        var channel = await client.OpenDirectTcpipAsync("127.0.0.1", (uint)echo.Port, Token);
        await channel.SendDataAsync(Encoding.ASCII.GetBytes("tunnel\n"), Token);
        await channel.SendEofAsync(Token);
        var result = await SshClientSession.CollectAsync(channel, Token);

        Assert.Equal("TUNNEL\n", result.Output);
    }
}
