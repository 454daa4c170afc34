using Custos.Core.Identity;

namespace Custos.Core.Tests.Identity;

public class PasswordPolicyTests
{
    [Fact]
    public void Twelve_characters_are_enough_and_eleven_are_not()
    {
        Assert.Null(PasswordPolicy.Check("kx7-Vq2m#pL9", "alice"));
        Assert.Equal("Password is shorter than 12 characters.", PasswordPolicy.Check("kx7-Vq2m#pL", "alice"));
        Assert.Equal("Password is shorter than 12 characters.", PasswordPolicy.Check("", "alice"));
    }

    [Fact]
    public void Length_counts_characters_as_seen_not_UTF16_units()
    {
        // Eleven emoji are 22 UTF-16 units but eleven characters; a family emoji (ZWJ sequence) counts once.
        Assert.Equal("Password is shorter than 12 characters.", PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 11)), null));
        Assert.Null(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 12)), null));
        Assert.Equal("Password is shorter than 12 characters.", PasswordPolicy.Check("👨‍👩‍👧👨‍👩‍👧abcdefghi", null));
        Assert.Equal("Password is shorter than 12 characters.", PasswordPolicy.Check("e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301abcde", null));
    }

    [Fact]
    public void At_most_1024_bytes()
    {
        Assert.Null(PasswordPolicy.Check(new string('q', 1024), null));
        Assert.Equal("Password is too long: at most 1024 bytes.", PasswordPolicy.Check(new string('q', 1025), null));
        Assert.Equal("Password is too long: at most 1024 bytes.", PasswordPolicy.Check(new string('é', 513), null));
    }

    [Theory]
    [InlineData("administrator", "Administrator", "Password may not be your user name.")]
    [InlineData("x-alice.smith-1", "Alice.Smith", "Password may not contain your user name.")]
    [InlineData("ALICE.SMITH.2024", "alice.smith", "Password may not contain your user name.")]
    public void The_user_name_is_refused_in_any_case(string password, string userName, string expected)
    {
        Assert.Equal(expected, PasswordPolicy.Check(password, userName));
    }

    [Fact]
    public void A_very_short_user_name_is_only_compared_whole()
    {
        Assert.Null(PasswordPolicy.Check("grab a coffee now", "al"));
        Assert.Null(PasswordPolicy.Check("grab a coffee now", null));
        Assert.Null(PasswordPolicy.Check("grab a coffee now", ""));
    }

    [Theory]
    [InlineData("password1234")]
    [InlineData("qwertyuiop123")]
    [InlineData("Password1234")]
    [InlineData("QWERTYUIOP123")]
    [InlineData("1qaz2wsx3edc")]
    [InlineData("LeaveMeAlone")]
    public void Common_passwords_are_refused_in_any_case(string password)
    {
        Assert.Equal("Password is on a list of commonly used passwords; choose another.", PasswordPolicy.Check(password, "someone"));
        Assert.True(PasswordPolicy.IsCommon(password));
    }

    [Fact]
    public void The_bundled_list_holds_the_common_passwords_long_enough_to_matter()
    {
        // 30,000 entries are shipped; only those of 12 characters or more can pass the length rule, so only they are loaded.
        Assert.InRange(PasswordPolicy.CommonCount, 200, 30_000);
        Assert.False(PasswordPolicy.IsCommon("kx7-Vq2m#pL9"));
    }

    [Fact]
    public void The_shipped_list_has_at_least_ten_thousand_entries()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("Custos.Core.Identity.common-passwords.txt");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        var entries = 0;
        while (reader.ReadLine() is { } line)
            if (line.Length > 0 && line[0] != '#') entries++;
        Assert.True(entries >= 10_000, $"{entries} entries");
    }
}
