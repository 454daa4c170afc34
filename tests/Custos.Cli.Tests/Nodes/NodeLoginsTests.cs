using Custos.Cli.Nodes;

namespace Custos.Cli.Tests.Nodes;

/// <summary>Which logins get a principals file: <c>--logins</c>, or the passwd accounts that can log in, and root.</summary>
public sealed class NodeLoginsTests
{
    private const string Passwd = """
        root:x:0:0:root:/root:/bin/bash
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        bin:x:2:2:bin:/bin:/usr/sbin/nologin
        sync:x:4:65534:sync:/bin:/bin/sync
        www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
        sshd:x:105:65534::/run/sshd:/sbin/nologin
        deploy:x:1000:1000:Deploy,,,:/home/deploy:/bin/bash
        backup:x:34:34:backup:/var/backups:/bin/false
        svc:x:1001:1001::/srv/svc:/usr/bin/false
        alice:x:1002:1002::/home/alice:/usr/bin/zsh
        legacy:x:1003:1003::/home/legacy:
        # a comment:x:0:0::/:/bin/sh
        +nisuser::::::/bin/sh
        bad/name:x:1004:1004::/tmp:/bin/sh
        short:x:1005
        """;

    [Fact]
    public void Passwd_accounts_with_a_login_shell_are_logins_and_nologin_or_false_are_not()
    {
        Assert.Equal(["alice", "deploy", "legacy", "root", "sync"], NodeLogins.FromPasswd(Passwd));
    }

    [Fact]
    public void Root_is_a_login_even_when_the_passwd_file_gives_it_no_shell()
    {
        Assert.Equal(["root"], NodeLogins.FromPasswd("root:x:0:0:root:/root:/usr/sbin/nologin\n"));
        Assert.Equal(["root"], NodeLogins.FromPasswd(""));
    }

    [Fact]
    public void Windows_line_endings_in_the_passwd_file_are_tolerated()
    {
        Assert.Equal(["deploy", "root"], NodeLogins.FromPasswd("root:x:0:0::/root:/bin/sh\r\ndeploy:x:1000:1000::/home/deploy:/bin/bash\r\n"));
    }

    [Fact]
    public void A_logins_list_is_trimmed_deduplicated_and_sorted()
    {
        Assert.Equal(["deploy", "root"], NodeLogins.ParseList(" root, deploy,,root ", out var error));
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("root,../etc", "\"../etc\"")]
    [InlineData("-rf", "\"-rf\"")]
    [InlineData("a b", "\"a b\"")]
    [InlineData(".hidden", "\".hidden\"")]
    [InlineData(",", "at least one login")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "\"abcdefghijklmnopqrstuvwxyz0123456\"")]
    public void A_logins_entry_that_is_not_a_Unix_user_name_is_refused_naming_it(string text, string named)
    {
        Assert.Null(NodeLogins.ParseList(text, out var error));
        Assert.StartsWith("--logins: ", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }
}
