using System.Diagnostics;
using Custos.Cli.Client;
using Custos.Cli.Ssh;
using Custos.Ssh.Keys;
using Custos.Testing;

namespace Custos.Cli.Tests.Ssh;

/// <summary>The profile's key pair: where it lives, its file modes, and that it is made once and kept.</summary>
public sealed class SshKeyDirectoryTests
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = Owner | UnixFileMode.UserExecute;
    private const UnixFileMode Public = Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public void The_pair_lives_under_keys_and_the_profile_name_with_owner_only_directories_and_private_key()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Combine("home", "nested"));
        var keys = SshKeyDirectory.For(home, new Profile("https://custos.example", null, null, "alice", "work"));
        keys.EnsureKeyPair("alice@custos-work", out var created);

        Assert.True(created);
        Assert.Equal(Path.Combine(home.Root, "keys", "work", "id_ed25519"), keys.PrivateKeyFile);
        foreach (var directory in new[] { temp.Combine("home"), home.Root, Path.Combine(home.Root, "keys"), keys.Root })
            Assert.Equal(OwnerDirectory, File.GetUnixFileMode(directory));
        Assert.Equal(Owner, File.GetUnixFileMode(keys.PrivateKeyFile));
        Assert.Equal(Public, File.GetUnixFileMode(keys.PublicKeyFile));
        Assert.Contains("-----BEGIN OPENSSH PRIVATE KEY-----", File.ReadAllText(keys.PrivateKeyFile), StringComparison.Ordinal);
        Assert.StartsWith("ssh-ed25519 ", File.ReadAllText(keys.PublicKeyFile), StringComparison.Ordinal);
        Assert.EndsWith(" alice@custos-work\n", File.ReadAllText(keys.PublicKeyFile), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_profile_the_directory_is_the_default_profile()
    {
        var home = new CustosHome("/tmp/custos-home");
        Assert.Equal("/tmp/custos-home/keys/default", SshKeyDirectory.For(home, (Profile?)null).Root);
        Assert.Equal("/tmp/custos-home/keys/default", SshKeyDirectory.For(home, new Profile("https://h", null, null, "alice")).Root);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_profile_name_that_is_not_one_directory_is_refused(string name)
    {
        var error = Assert.Throws<CliException>(() => SshKeyDirectory.For(new CustosHome("/tmp/custos-home"), name));
        Assert.Equal(ExitCodes.IoError, error.ExitCode);
    }

    [Fact]
    public void The_pair_is_made_once_and_kept_and_a_lost_public_half_is_rewritten_from_the_private_key()
    {
        using var temp = new TempDirectory();
        var keys = SshKeyDirectory.For(new CustosHome(temp.Path), (Profile?)null);
        var first = keys.EnsureKeyPair("alice@custos-default", out _);
        var privateText = File.ReadAllText(keys.PrivateKeyFile);

        var again = keys.EnsureKeyPair("alice@custos-default", out var created);
        Assert.False(created);
        Assert.Equal(first, again);
        Assert.Equal(privateText, File.ReadAllText(keys.PrivateKeyFile));

        File.Delete(keys.PublicKeyFile);
        Assert.Equal(first, keys.EnsureKeyPair("alice@custos-default", out _));
        Assert.Equal(first, SshPublicKey.ParseText(File.ReadAllText(keys.PublicKeyFile)));
    }

    [Fact]
    public void A_private_key_others_can_read_is_refused_with_the_fix()
    {
        using var temp = new TempDirectory();
        var keys = SshKeyDirectory.For(new CustosHome(temp.Path), (Profile?)null);
        keys.EnsureKeyPair("c", out _);
        File.SetUnixFileMode(keys.PrivateKeyFile, Owner | UnixFileMode.GroupRead);
        var error = Assert.Throws<CliException>(() => keys.EnsureKeyPair("c", out _));
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_and_known_hosts_are_replaced_whole_and_readable_while_the_key_stays_owner_only()
    {
        using var temp = new TempDirectory();
        var keys = SshKeyDirectory.For(new CustosHome(temp.Path), (Profile?)null);
        keys.EnsureKeyPair("c", out _);
        keys.WriteCertificate("ssh-ed25519-cert-v01@openssh.com AAAA first");
        keys.WriteCertificate("ssh-ed25519-cert-v01@openssh.com AAAA second\n");
        keys.WriteKnownHosts(["@cert-authority node-a ssh-ed25519 AAAA", "node-b ssh-ed25519 BBBB"]);

        Assert.Equal("ssh-ed25519-cert-v01@openssh.com AAAA second\n", File.ReadAllText(keys.CertificateFile));
        Assert.Equal("@cert-authority node-a ssh-ed25519 AAAA\nnode-b ssh-ed25519 BBBB\n", File.ReadAllText(keys.KnownHostsFile));
        Assert.Equal(Public, File.GetUnixFileMode(keys.CertificateFile));
        Assert.Equal(Owner, File.GetUnixFileMode(keys.PrivateKeyFile));
        Assert.Equal(["id_ed25519", "id_ed25519-cert.pub", "id_ed25519.pub", "known_hosts"],
            Directory.GetFiles(keys.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OpenSSH_reads_the_private_key_and_derives_the_same_public_key()
    {
        using var temp = new TempDirectory();
        var keys = SshKeyDirectory.For(new CustosHome(temp.Path), (Profile?)null);
        var publicKey = keys.EnsureKeyPair("c", out _);
        var start = new ProcessStartInfo("ssh-keygen", ["-y", "-f", keys.PrivateKeyFile]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "ssh-keygen -y failed (scripts/test.sh installs openssh-client): " + error);
        Assert.Equal(publicKey, SshPublicKey.ParseText(output));
    }
}
