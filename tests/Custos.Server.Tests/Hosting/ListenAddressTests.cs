using System.Globalization;
using Custos.Server.Tests.Fixtures;
using Custos.Testing;

namespace Custos.Server.Tests.Hosting;

/// <summary>The next command printed on first start names a URL a client can use, whatever address the server listens on.</summary>
public sealed class ListenAddressTests : IDisposable
{
    private readonly TempDirectory _root = new("custos-listen");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("[::1]", "[::1]")]
    [InlineData("0.0.0.0", "127.0.0.1")]
    public async Task Next_command_names_a_url_that_reaches_the_server(string listenHost, string urlHost)
    {
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var dataDir = _root.Combine("data");
        await using var process = CustosProcess.Start(["serve", "--data-dir", dataDir, "--listen", $"{listenHost}:{port}"]);

        var deadline = DateTime.UtcNow + Timeouts.Ready;
        string? command = null;
        while (command is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "no next command was printed:\n" + process.Stdout + process.Stderr);
            Assert.False(process.HasExited, "custos exited:\n" + process.Stdout + process.Stderr);
            command = process.Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("custos admin bootstrap", StringComparison.Ordinal));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        var arguments = command.Split(' ');
        var url = arguments[Array.IndexOf(arguments, "--server") + 1];
        Assert.Equal($"https://{urlHost}:{port}", url);

        using var client = CustosProcess.PinnedClient(Path.Combine(dataDir, "tls", "server.crt"), url);
        using var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
