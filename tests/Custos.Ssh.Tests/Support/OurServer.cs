using System.Net;
using Custos.Ssh.Keys;
using Custos.Ssh.Server;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Tests.Support;

/// <summary>Our SSH server on a free loopback port with Ed25519, ECDSA P-256 and RSA host keys and the test handlers.</summary>
internal sealed class OurServer : IAsyncDisposable
{
    private readonly SshServer _server;

    public OurServer(TestAuthenticator? authenticator = null, Func<SshServerOptions, SshServerOptions>? configure = null)
    {
        Ed25519HostKey = SshPrivateKey.Generate(SshKeyType.Ed25519);
        EcdsaHostKey = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
        RsaHostKey = SshPrivateKey.Generate(SshKeyType.Rsa, 2048);
        Authenticator = authenticator ?? new TestAuthenticator();
        var options = new SshServerOptions
        {
            HostKeys = [new PrivateKeyHostKey(Ed25519HostKey), new PrivateKeyHostKey(EcdsaHostKey), new PrivateKeyHostKey(RsaHostKey)],
            Authenticator = Authenticator,
            ChannelHandler = TestChannelHandlers.Handle,
        };
        Options = configure is null ? options : configure(options);
        _server = new SshServer(Options, new IPEndPoint(IPAddress.Loopback, 0));
        _server.SessionStarted += session => Sessions.Add(session);
        _server.SessionFailed += error => Failures.Add(error);
        _server.Start();
    }

    public SshServerOptions Options { get; }
    public SshPrivateKey Ed25519HostKey { get; }
    public SshPrivateKey EcdsaHostKey { get; }
    public SshPrivateKey RsaHostKey { get; }
    public TestAuthenticator Authenticator { get; }
    public System.Collections.Concurrent.ConcurrentBag<SshServerSession> Sessions { get; } = [];
    public System.Collections.Concurrent.ConcurrentBag<Exception> Failures { get; } = [];
    public int Port => _server.LocalEndPoint.Port;
    public SshServer Server => _server;

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Ed25519HostKey.Dispose();
        EcdsaHostKey.Dispose();
        RsaHostKey.Dispose();
    }
}
