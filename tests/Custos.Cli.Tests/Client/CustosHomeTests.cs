using System.Text.Json;
using Custos.Cli.Client;
using Custos.Testing;

namespace Custos.Cli.Tests.Client;

public sealed class CustosHomeTests
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = Owner | UnixFileMode.UserExecute;

    [Fact]
    public void Saving_a_profile_creates_the_directory_0700_and_the_file_0600()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Combine("nested", "home"));
        home.SaveProfile(new Profile("https://custos.example:8443", "/etc/custos/ca.pem", null, "alice"));
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(home.Root));
        Assert.Equal(Owner, File.GetUnixFileMode(home.ProfileFile));
    }

    [Fact]
    public void Profile_round_trips_with_the_documented_member_names()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Path);
        var profile = new Profile("https://custos.example:8443", null, "SHA256:" + new string('A', 43), "alice");
        home.SaveProfile(profile);
        Assert.Equal(profile, home.LoadProfile());
        using var document = JsonDocument.Parse(File.ReadAllText(home.ProfileFile));
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["fingerprint", "profile", "server", "user"], names); // ca_file is null here, so omitted
        Assert.Equal("default", document.RootElement.GetProperty("profile").GetString());
    }

    [Fact]
    public void Missing_profile_and_token_read_as_none()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Combine("never-created"));
        Assert.Null(home.LoadProfile());
        Assert.Null(home.LoadToken());
        Assert.False(home.DeleteToken());
    }

    [Fact]
    public void Token_lives_alone_in_its_own_0600_file_and_can_be_deleted()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Combine("home"));
        var token = "cst_" + new string('x', 43);
        home.SaveToken(token);
        Assert.Equal(token, File.ReadAllText(home.TokenFile));
        Assert.Equal(Owner, File.GetUnixFileMode(home.TokenFile));
        Assert.Equal(token, home.LoadToken());
        Assert.True(home.DeleteToken());
        Assert.Null(home.LoadToken());
    }

    [Fact]
    public void Replacing_the_token_leaves_no_temporary_files()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Path);
        home.SaveToken("cst_first");
        home.SaveToken("cst_second");
        Assert.Equal("cst_second", home.LoadToken());
        Assert.Equal(["token"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Corrupt_profile_is_reported_with_its_path()
    {
        using var temp = new TempDirectory();
        var home = new CustosHome(temp.Path);
        File.WriteAllText(home.ProfileFile, "{not json");
        var e = Assert.Throws<CliException>(home.LoadProfile);
        Assert.Contains(home.ProfileFile, e.Message);
    }
}

/// <summary>Tests that change the process environment run one at a time.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class CustosHomeEnvironmentTests
{
    [Fact]
    public void CUSTOS_HOME_overrides_the_default_directory()
    {
        var saved = Environment.GetEnvironmentVariable(CustosHome.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, "/tmp/custos-home-test");
            Assert.Equal("/tmp/custos-home-test", CustosHome.FromEnvironment().Root);
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, null);
            var expected = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".custos");
            Assert.Equal(expected, CustosHome.FromEnvironment().Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CustosHome.EnvironmentVariable, saved);
        }
    }
}
