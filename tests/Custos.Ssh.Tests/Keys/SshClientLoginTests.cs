using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Keys;

/// <summary>Keys written by Custos work with the stock ssh client against a real sshd.</summary>
public class SshClientLoginTests
{
    [Theory]
    [InlineData(SshKeyType.Ed25519)]
    [InlineData(SshKeyType.EcdsaP256)]
    [InlineData(SshKeyType.EcdsaP521)]
    [InlineData(SshKeyType.Rsa)]
    public void Ssh_logs_in_with_a_private_key_written_by_Custos(SshKeyType type)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(type, 2048);
        using var server = new OpenSshServer(authorizedKeys: "no-pty " + key.PublicKey.ToText("custos") + "\n");
        string identity = server.WriteFile("id", key.ToOpenSshText("custos"));

        OpenSshTools.Result login = server.Login(identity);

        Assert.True(login.ExitCode == 0, $"ssh failed ({login.ExitCode}): {login.Error}\nsshd: {server.LogText}");
    }

    [Fact]
    public void Sshd_refuses_a_key_that_is_not_authorized()
    {
        using SshPrivateKey authorized = SshPrivateKey.Generate();
        using SshPrivateKey stranger = SshPrivateKey.Generate();
        using var server = new OpenSshServer(authorizedKeys: authorized.PublicKey.ToText() + "\n");

        OpenSshTools.Result login = server.Login(server.WriteFile("id", stranger.ToOpenSshText()));

        Assert.NotEqual(0, login.ExitCode);
    }
}
