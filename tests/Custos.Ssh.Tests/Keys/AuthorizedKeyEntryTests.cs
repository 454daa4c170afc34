using Custos.Ssh.Keys;

namespace Custos.Ssh.Tests.Keys;

public class AuthorizedKeyEntryTests
{
    private static readonly string KeyText = SshPrivateKey.Generate().PublicKey.ToText();

    [Fact]
    public void A_plain_line_keeps_its_comment()
    {
        AuthorizedKeyEntry entry = AuthorizedKeyEntry.Parse(KeyText + " alice@laptop  2026 key");

        Assert.Empty(entry.Options);
        Assert.Equal("alice@laptop  2026 key", entry.Comment);
        Assert.Equal(KeyText + " alice@laptop  2026 key", entry.ToString());
    }

    [Fact]
    public void Options_with_quoted_commas_spaces_and_escaped_quotes_are_parsed_and_preserved()
    {
        string options = "from=\"10.0.0.0/8,192.168.1.*\",command=\"echo \\\"hi, there\\\"\",no-pty,environment=\"A=b c\",restrict";
        string line = options + " " + KeyText + " deploy key";

        AuthorizedKeyEntry entry = AuthorizedKeyEntry.Parse(line);

        Assert.Equal(["from", "command", "no-pty", "environment", "restrict"], entry.Options.Select(o => o.Name));
        Assert.Equal("echo \"hi, there\"", entry.GetOption("command"));
        Assert.Equal("10.0.0.0/8,192.168.1.*", entry.GetOption("FROM"));
        Assert.True(entry.HasOption("no-pty"));
        Assert.Equal("deploy key", entry.Comment);
        Assert.Equal(options, entry.OptionsText);
        Assert.Equal(line, entry.ToString());
    }

    [Fact]
    public void A_file_skips_blank_lines_and_comments_and_names_the_bad_line()
    {
        string file = "# keys\n\n" + KeyText + " one\r\ncert-authority,principals=\"ops\" " + KeyText + "\n";

        IReadOnlyList<AuthorizedKeyEntry> entries = AuthorizedKeyEntry.ParseFile(file);
        var error = Assert.Throws<SshFormatException>(() => AuthorizedKeyEntry.ParseFile(file + "no-pty ssh-ed25519 !!!\n"));

        Assert.Equal(2, entries.Count);
        Assert.True(entries[1].HasOption("cert-authority"));
        Assert.StartsWith("authorized_keys line 5:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus-option ")]
    [InlineData("command=unquoted ")]
    [InlineData("command=\"never closed ")]
    [InlineData("no-pty,,no-user-rc ")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAAA ")]
    [InlineData("no-pty")]
    public void Malformed_lines_raise_the_format_exception(string prefix)
    {
        Assert.Throws<SshFormatException>(() => AuthorizedKeyEntry.Parse(prefix + (prefix.StartsWith("ssh-dss", StringComparison.Ordinal) ? string.Empty : KeyText)));
    }

    [Fact]
    public void An_entry_created_from_parts_renders_as_sshd_reads_it()
    {
        SshPublicKey key = SshPublicKey.ParseText(KeyText);

        AuthorizedKeyEntry entry = AuthorizedKeyEntry.Create(key, [new("command", "say \"hi\""), new("no-pty")], "c");

        Assert.Equal("command=\"say \\\"hi\\\"\",no-pty " + KeyText + " c", entry.ToString());
        Assert.Equal("say \"hi\"", AuthorizedKeyEntry.Parse(entry.ToString()).GetOption("command"));
    }
}
