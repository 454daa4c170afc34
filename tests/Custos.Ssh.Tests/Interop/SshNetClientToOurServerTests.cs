using System.Text;
using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;
using Renci.SshNet;

namespace Custos.Ssh.Tests.Interop;

/// <summary>SSH.NET, an independent client implementation, against our server (including ML-KEM hybrid key exchange).</summary>
public sealed class SshNetClientToOurServerTests : IAsyncLifetime
{
    private OurServer _server = null!;
    private Custos.Ssh.Keys.SshPrivateKey _userKey = null!;

    public ValueTask InitializeAsync()
    {
        _server = new OurServer();
        _userKey = Custos.Ssh.Keys.SshPrivateKey.Generate(Custos.Ssh.Keys.SshKeyType.Ed25519);
        _server.Authenticator.Allow(_userKey.PublicKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _userKey.Dispose();
        await _server.DisposeAsync();
    }

    private ConnectionInfo Connection(string? kex = null, string? cipher = null, string? hostKey = null)
    {
        using var keyStream = new MemoryStream(Encoding.ASCII.GetBytes(_userKey.ToOpenSshText("sshnet")));
        var info = new ConnectionInfo("127.0.0.1", _server.Port, "tester", new PrivateKeyAuthenticationMethod("tester", new PrivateKeyFile(keyStream)))
        {
            Timeout = TimeSpan.FromSeconds(20),
        };
        Keep(info.KeyExchangeAlgorithms, kex);
        Keep(info.Encryptions, cipher);
        Keep(info.HostKeyAlgorithms, hostKey);
        return info;
    }

    private static void Keep<T>(IDictionary<string, T> algorithms, string? name)
    {
        if (name is null)
        {
            return;
        }
        Assert.True(algorithms.ContainsKey(name), $"SSH.NET does not offer {name}");
        foreach (var other in algorithms.Keys.Where(k => k != name).ToList())
        {
            algorithms.Remove(other);
        }
    }

    public static TheoryData<string, string> Algorithms()
    {
        var data = new TheoryData<string, string>();
        foreach (var kex in KeyExchangeNames.All)
        {
            data.Add(kex, CipherNames.Aes256Gcm);
        }
        foreach (var cipher in CipherNames.All)
        {
            data.Add(KeyExchangeNames.MlKem768X25519, cipher);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void SshNet_runs_a_command_for_each_algorithm(string kex, string cipher)
    {
        using var client = new SshClient(Connection(kex, cipher));
        client.Connect();

        using var command = client.RunCommand("echo sshnet-$((2*21)); exit 4");

        Assert.Equal("sshnet-42\n", command.Result);
        Assert.Equal(4, command.ExitStatus);
        Assert.Equal(kex, Assert.Single(_server.Sessions).Transport.Algorithms!.KeyExchange);
    }

    [Theory]
    [InlineData("ssh-ed25519")]
    [InlineData("ecdsa-sha2-nistp256")]
    [InlineData("rsa-sha2-512")]
    [InlineData("rsa-sha2-256")]
    public void SshNet_verifies_each_host_key_algorithm(string hostKey)
    {
        using var client = new SshClient(Connection(hostKey: hostKey));
        string? seen = null;
        client.HostKeyReceived += (_, e) => { seen = e.HostKeyName; e.CanTrust = true; };
        client.Connect();

        Assert.Equal("ok\n", client.RunCommand("echo ok").Result);
        Assert.Equal(hostKey, seen);
    }

    [Fact]
    public void SshNet_sftp_uploads_and_downloads_through_the_subsystem()
    {
        using var directory = new TempDirectory();
        var remote = directory.File("remote.bin");
        var content = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray();
        using var sftp = new SftpClient(Connection());
        sftp.Connect();

        sftp.UploadFile(new MemoryStream(content), remote);
        using var downloaded = new MemoryStream();
        sftp.DownloadFile(remote, downloaded);

        Assert.Equal(content, downloaded.ToArray());
    }
}
