using Custos.Cli.Nodes;
using Custos.Testing;

namespace Custos.Cli.Tests.Nodes;

/// <summary>The node's files are replaced whole, with exact modes, and untouched when unchanged.</summary>
public sealed class NodeFilesTests
{
    private static readonly byte[] Contents = "ssh-ed25519 AAAA custos-user-ca\n"u8.ToArray();

    [Fact]
    public void A_public_file_is_written_0644_and_a_secret_one_0600_with_no_temporary_file_left()
    {
        using var temp = new TempDirectory();
        NodeFiles.WriteAtomic(temp.Combine("user_ca.pub"), Contents, NodeFiles.PublicMode);
        NodeFiles.WriteAtomic(temp.Combine("node.json"), "{}"u8, NodeFiles.SecretMode);
        Assert.Equal(Contents, File.ReadAllBytes(temp.Combine("user_ca.pub")));
        Assert.Equal(Convert.ToInt32("644", 8), (int)File.GetUnixFileMode(temp.Combine("user_ca.pub")));
        Assert.Equal(Convert.ToInt32("600", 8), (int)File.GetUnixFileMode(temp.Combine("node.json")));
        Assert.Equal(["node.json", "user_ca.pub"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Replacing_a_file_renames_a_new_one_over_it_so_a_reader_holding_the_old_one_keeps_it_whole()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("revoked.krl");
        NodeFiles.WriteAtomic(path, "old"u8, NodeFiles.PublicMode);
        using var reader = File.OpenRead(path);
        NodeFiles.WriteAtomic(path, "new contents"u8, NodeFiles.PublicMode);
        Assert.Equal("old", new StreamReader(reader).ReadToEnd());
        Assert.Equal("new contents", File.ReadAllText(path));
    }

    [Fact]
    public void A_narrower_mode_of_an_existing_file_is_corrected_on_replace()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("user_ca.pub");
        File.WriteAllBytes(path, Contents);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);
        Assert.True(NodeFiles.WriteIfChanged(path, Contents, NodeFiles.PublicMode));
        Assert.Equal(NodeFiles.PublicMode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void An_unchanged_file_is_not_rewritten()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("user_ca.pub");
        Assert.True(NodeFiles.WriteIfChanged(path, Contents, NodeFiles.PublicMode));
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        Assert.False(NodeFiles.WriteIfChanged(path, Contents, NodeFiles.PublicMode));
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));
        Assert.True(NodeFiles.WriteIfChanged(path, "ssh-ed25519 BBBB other\n"u8, NodeFiles.PublicMode));
    }

    [Fact]
    public void Directories_are_created_0755_with_their_missing_parents()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("etc", "ssh", "custos");
        NodeFiles.CreateDirectory(path);
        var expected = Convert.ToInt32("755", 8);
        Assert.Equal(expected, (int)File.GetUnixFileMode(temp.Combine("etc")));
        Assert.Equal(expected, (int)File.GetUnixFileMode(temp.Combine("etc", "ssh")));
        Assert.Equal(expected, (int)File.GetUnixFileMode(path));
    }

    [Fact]
    public void An_exclusive_write_refuses_an_existing_file_and_leaves_it_alone()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("web-1.token");
        NodeFiles.WriteExclusive(path, "first\n"u8);
        Assert.Equal(NodeFiles.SecretMode, File.GetUnixFileMode(path));
        Assert.Throws<IOException>(() => NodeFiles.WriteExclusive(path, "second\n"u8));
        Assert.Equal("first\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }
}
