using Custos.Ssh.Tests.Support;
using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Tests.Interop;

/// <summary>The stock OpenSSH client against our server.</summary>
public sealed class OpenSshClientToOurServerTests : IAsyncLifetime
{
    private OurServer _server = null!;
    private OpenSshClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _server = new OurServer();
        _client = new OpenSshClient(_server.Port);
        _server.Authenticator.Allow(_client.UserKey.PublicKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static readonly Lazy<HashSet<string>> ClientKex = new(() => Query("kex"));
    private static readonly Lazy<HashSet<string>> ClientCiphers = new(() => Query("cipher"));

    private static HashSet<string> Query(string what) =>
        [.. OpenSshTools.Run(OpenSshTools.Ssh, "-Q", what).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Every algorithm of ours the installed client also supports, one dimension at a time.</summary>
    public static TheoryData<string, string, string> Algorithms()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var kex in KeyExchangeNames.All.Where(ClientKex.Value.Contains))
        {
            data.Add(kex, CipherNames.ChaCha20Poly1305, "ssh-ed25519");
        }
        foreach (var cipher in CipherNames.All.Where(ClientCiphers.Value.Contains))
        {
            data.Add(KeyExchangeNames.Curve25519Sha256, cipher, "ssh-ed25519");
        }
        foreach (var hostKey in new[] { "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256" })
        {
            data.Add(KeyExchangeNames.Curve25519Sha256, CipherNames.Aes256Gcm, hostKey);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Exec_returns_output_and_exit_status_for_each_algorithm(string kex, string cipher, string hostKey)
    {
        var options = _client.CommonOptions("-o", "KexAlgorithms=" + kex, "-o", "Ciphers=" + cipher, "-o", "HostKeyAlgorithms=" + hostKey,
            "-o", "MACs=hmac-sha2-256-etm@openssh.com");

        var result = _client.Ssh(null, options, "echo hello-$((6*7)); echo oops >&2; exit 3");

        Assert.True(result.ExitCode == 3, $"exit {result.ExitCode}: {result.Error}");
        Assert.Equal("hello-42\n", result.Output);
        Assert.Equal("oops\n", result.Error);
    }
}
