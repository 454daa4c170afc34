using Custos.Cli.Client;
using Custos.Testing;

namespace Custos.Cli.Tests.Client;

public sealed class BotCredentialDirectoryTests
{
    private static readonly BotState State = new("https://custos.example:8443", null, "SHA256:" + new string('Q', 43), "ci-runner", 1, "2030-01-01T00:00:00Z", "sess-1");

    [Fact]
    public void Join_creates_the_directory_0700_with_three_0600_files_and_no_leftovers()
    {
        using var temp = new TempDirectory();
        var directory = new BotCredentialDirectory(temp.Combine("bot"));
        directory.Save(State, "cst_access", "cbc_credential");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory.Root));
        Assert.Equal(["bot.json", "credential", "token"], Directory.GetFiles(directory.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in Directory.GetFiles(directory.Root))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void State_and_secrets_read_back_and_the_secrets_are_not_in_bot_json()
    {
        using var temp = new TempDirectory();
        var directory = new BotCredentialDirectory(temp.Path);
        directory.Save(State, "cst_access", "cbc_credential");
        Assert.Equal(State, directory.LoadState());
        Assert.Equal("cbc_credential", directory.LoadCredential());
        Assert.Equal("cst_access\n", File.ReadAllText(directory.TokenFile));
        var json = File.ReadAllText(directory.StateFile);
        Assert.DoesNotContain("cst_access", json);
        Assert.DoesNotContain("cbc_credential", json);
        Assert.Contains("\"session_id\"", json);
    }

    [Fact]
    public void Renewal_replaces_every_file_with_the_new_generation()
    {
        using var temp = new TempDirectory();
        var directory = new BotCredentialDirectory(temp.Path);
        directory.Save(State, "cst_old", "cbc_old");
        directory.Save(State with { Generation = 2, SessionId = "sess-2" }, "cst_new", "cbc_new");
        Assert.Equal(2, directory.LoadState().Generation);
        Assert.Equal("cbc_new", directory.LoadCredential());
        Assert.Equal(3, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void A_failed_save_leaves_no_temporary_credential_files_behind()
    {
        using var temp = new TempDirectory();
        var directory = new BotCredentialDirectory(temp.Path);
        // bot.json cannot be replaced by a file: the last rename fails after the secrets were written.
        Directory.CreateDirectory(directory.StateFile);
        Assert.ThrowsAny<IOException>(() => directory.Save(State, "cst_access", "cbc_credential"));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*tmp-*"));
        Assert.Equal("cbc_credential", directory.LoadCredential());
    }

    [Fact]
    public void Missing_directory_tells_the_user_to_join_first()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<CliException>(() => new BotCredentialDirectory(temp.Combine("absent")).LoadState());
        Assert.Contains("custos bot join", e.Message);
    }
}
