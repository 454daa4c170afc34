using System.Diagnostics;
using System.Globalization;
using System.Net;
using Custos.Ssh.Authentication;
using Custos.Ssh.Client;
using Custos.Ssh.Connection;
using Custos.Ssh.Keys;
using Custos.Ssh.Server;
using Custos.Ssh.Transport;

// Usage:
//   Custos.Ssh.Throughput throughput <cipher> <mebibytes>   client -> server bulk transfer into a sink channel
//   Custos.Ssh.Throughput handshakes <seconds>              connect, key exchange, publickey auth, close
//   Custos.Ssh.Throughput handshakes <seconds> <port> <user key file> <host public key file>
//                                                            the same handshake loop against a real sshd on 127.0.0.1
var mode = args.Length > 0 ? args[0] : "throughput";
using var hostKey = SshPrivateKey.Generate();
using var userKey = SshPrivateKey.Generate();
var authenticator = new SingleKeyAuthenticator(userKey.PublicKey);
var options = new SshServerOptions
{
    HostKeys = [new PrivateKeyHostKey(hostKey)],
    Authenticator = authenticator,
    MaxUnauthenticatedConnections = 1024,
    ChannelHandler = (session, request, token) => ValueTask.FromResult(ChannelOpenDecision.Accept(SinkAsync)),
};
await using var server = new SshServer(options, new IPEndPoint(IPAddress.Loopback, 0));
server.Start();
var clientOptions = new SshClientOptions { HostKeyVerifier = new PinnedHostKeyVerifier(hostKey.PublicKey) };

if (mode == "throughput")
{
    var cipher = args.Length > 1 ? args[1] : "aes256-gcm@openssh.com";
    var mebibytes = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1024;
    await using var client = await SshClientSession.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port,
        clientOptions with { Transport = new SshTransportOptions { Ciphers = [cipher] } });
    await client.AuthenticateWithKeyAsync("bench", userKey);
    var channel = await client.OpenSessionAsync();
    var block = new byte[256 * 1024];
    var clock = Stopwatch.StartNew();
    for (long sent = 0; sent < mebibytes * 1024 * 1024; sent += block.Length)
    {
        await channel.SendDataAsync(block);
    }
    await channel.SendEofAsync();
    await SshClientSession.CollectAsync(channel);
    clock.Stop();
    var megabytesPerSecond = mebibytes * 1024 * 1024 / 1e6 / clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cipher} {megabytesPerSecond:F0} MB/s"));
}
else
{
    var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
    var port = server.LocalEndPoint.Port;
    var user = "bench";
    var identity = userKey;
    var handshakeOptions = clientOptions;
    if (args.Length >= 5)
    {
        port = int.Parse(args[2], CultureInfo.InvariantCulture);
        user = "root";
        identity = SshPrivateKey.Load(File.ReadAllText(args[3]));
        handshakeOptions = new SshClientOptions { HostKeyVerifier = new PinnedHostKeyVerifier(SshPublicKey.ParseText(File.ReadAllText(args[4]).Trim())) };
    }
    var clock = Stopwatch.StartNew();
    var count = 0;
    var latencies = new List<double>();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        var start = clock.Elapsed;
        await using (var client = await SshClientSession.ConnectAsync("127.0.0.1", port, handshakeOptions))
        {
            if (!await client.AuthenticateWithKeyAsync(user, identity))
            {
                throw new InvalidOperationException("authentication failed");
            }
        }
        latencies.Add((clock.Elapsed - start).TotalMilliseconds);
        count++;
    }
    latencies.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"handshakes {count / clock.Elapsed.TotalSeconds:F0}/s median {latencies[latencies.Count / 2]:F2} ms"));
}

static async Task SinkAsync(SshChannel channel, CancellationToken cancellationToken)
{
    while (await channel.ReceiveAsync(cancellationToken) is { } message)
    {
        if (message is SshChannelEof)
        {
            await channel.SendRequestAsync("exit-status", SessionRequests.EncodeExitStatus(0), false, cancellationToken);
            return;
        }
    }
}

internal sealed class SingleKeyAuthenticator(SshPublicKey key) : SshServerAuthenticator
{
    public override IReadOnlyList<string> GetMethods(SshAuthenticationContext context) => ["publickey"];

    public override ValueTask<AuthenticationResult> AuthenticatePublicKeyAsync(SshAuthenticationContext context, SshPublicKey offered, bool signatureVerified, CancellationToken cancellationToken) =>
        ValueTask.FromResult(offered.Equals(key) ? AuthenticationResult.Success : AuthenticationResult.Failure);
}
