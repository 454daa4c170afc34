using Custos.Ssh.Client;
using Custos.Ssh.Connection;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Tests.Interop;

/// <summary>
/// The gateway shape: the stock ssh client talks to our server, whose channel handler opens the same
/// channel on a real sshd through our client and bridges the two byte for byte.
/// </summary>
public sealed class GatewayBridgeTests : IAsyncLifetime
{
    private RealSshd _sshd = null!;
    private SshClientSession _upstream = null!;
    private OurServer _gateway = null!;
    private OpenSshClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _sshd = new RealSshd();
        _upstream = await SshClientSession.ConnectAsync("127.0.0.1", _sshd.Port,
            new SshClientOptions { HostKeyVerifier = new PinnedHostKeyVerifier(_sshd.HostKey.PublicKey) }, TestContext.Current.CancellationToken);
        Assert.True(await _upstream.AuthenticateWithKeyAsync("root", _sshd.UserKey, cancellationToken: TestContext.Current.CancellationToken));
        _gateway = new OurServer(configure: o => o with
        {
            ChannelHandler = async (session, request, token) =>
            {
                SshChannel upstream;
                try
                {
                    upstream = await _upstream.OpenChannelAsync(request.ChannelType, request.Payload, token);
                }
                catch (SshChannelOpenException e)
                {
                    return ChannelOpenDecision.Refuse(e.Reason, e.Message);
                }
                return ChannelOpenDecision.Accept((downstream, ct) => SshChannelBridge.RunAsync(downstream, upstream, ct));
            },
        });
        _client = new OpenSshClient(_gateway.Port);
        _gateway.Authenticator.Allow(_client.UserKey.PublicKey);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _sshd.DisposeAsync();
    }

    [Fact]
    public void Exec_output_stderr_and_exit_status_cross_the_bridge()
    {
        var result = _client.Ssh("piped input\n", _client.CommonOptions(), "cat; echo to-stderr >&2; hostname >/dev/null; exit 5");

        Assert.Equal(5, result.ExitCode);
        Assert.Equal("piped input\n", result.Output);
        Assert.Equal("to-stderr\n", result.Error);
    }

    [Fact]
    public void Sftp_works_through_the_bridge_to_the_upstream_sftp_server()
    {
        var source = _client.Directory.Write("bridge-source.bin", new string('b', 500_000));
        var target = _client.Directory.File("bridge-target.bin");
        var batch = _client.Directory.Write("bridge-batch", $"put {source} {target}.up\nget {target}.up {target}\nrm {target}.up\n");

        var result = OpenSshClient.Run("/usr/bin/sftp", null, _client.CommonOptions("-P", _gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-b", batch, "tester@127.0.0.1"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(File.ReadAllText(source), File.ReadAllText(target));
    }
}
