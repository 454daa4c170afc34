using System.Net;
using System.Net.Sockets;
using Custos.Ssh.Client;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Tests.Transport;

/// <summary>Strict KEX, the Terrapin (CVE-2023-48795) countermeasure, in both roles.</summary>
public sealed class StrictKexTests : IAsyncLifetime
{
    private OurServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = new OurServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void A_strict_client_that_sends_IGNORE_before_KEXINIT_is_disconnected()
    {
        using var peer = new RawSshPeer(_server.Port);
        peer.Send(RawSshPeer.Ignore());
        peer.Send(RawSshPeer.KexInit(strict: true));

        Assert.Equal(DisconnectReason.ProtocolError, peer.ReceiveDisconnect());
    }

    [Fact]
    public void A_strict_client_that_sends_IGNORE_after_KEXINIT_but_before_NEWKEYS_is_disconnected()
    {
        using var peer = new RawSshPeer(_server.Port);
        peer.Send(RawSshPeer.KexInit(strict: true));
        peer.Send(RawSshPeer.Ignore());

        Assert.Equal(DisconnectReason.ProtocolError, peer.ReceiveDisconnect());
    }

    [Fact]
    public void A_client_without_strict_KEX_may_send_IGNORE_before_KEXINIT()
    {
        using var peer = new RawSshPeer(_server.Port);
        peer.Send(RawSshPeer.Ignore());
        peer.Send(RawSshPeer.KexInit(strict: false));

        var first = peer.Receive();
        Assert.NotNull(first);
        Assert.Equal(MessageNumber.KexInit, first[0]);
        var kexInit = KexInitMessage.Decode(first);
        Assert.Contains(KeyExchangeNames.StrictServer, kexInit.KeyExchange);
    }

    [Fact]
    public async Task Strict_KEX_resets_sequence_numbers_at_NEWKEYS()
    {
        await using var client = await ConnectAsync(new SshTransportOptions());

        Assert.True(client.StrictKex);
        // KEXINIT, ECDH_INIT and NEWKEYS were sent, then the counter restarted at zero.
        Assert.Equal(0u, client.Transport.SendSequence);
        Assert.Equal(0u, client.Transport.ReceiveSequence);
    }

    [Fact]
    public async Task Without_strict_KEX_sequence_numbers_continue_across_NEWKEYS()
    {
        await using var client = await ConnectAsync(new SshTransportOptions { OfferStrictKex = false });

        Assert.False(client.StrictKex);
        Assert.Equal(3u, client.Transport.SendSequence);
    }

    [Fact]
    public async Task A_re_key_after_the_handshake_keeps_the_session_working_and_resets_the_counters()
    {
        await using var client = await ConnectAsync(new SshTransportOptions());
        using var key = Custos.Ssh.Keys.SshPrivateKey.Generate();
        _server.Authenticator.Allow(key.PublicKey);
        Assert.True(await client.AuthenticateWithKeyAsync("tester", key, cancellationToken: TestContext.Current.CancellationToken));

        await client.RekeyAsync(TestContext.Current.CancellationToken);
        var result = await client.ExecuteAsync("echo after-rekey", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("after-rekey\n", result.Output);
        Assert.Equal(2, client.KeyExchangeCount);
        Assert.True(client.Transport.SendSequence < 10);
    }

    private async Task<SshClientSession> ConnectAsync(SshTransportOptions transport) =>
        await SshClientSession.ConnectAsync("127.0.0.1", _server.Port, new SshClientOptions
        {
            HostKeyVerifier = new PinnedHostKeyVerifier(_server.Ed25519HostKey.PublicKey),
            Transport = transport,
        }, TestContext.Current.CancellationToken);
}
