using Custos.Cli.Client;
using Custos.Testing;

namespace Custos.Cli.Tests.Client;

public sealed class SecretInputTests
{
    [Fact]
    public void Token_file_may_end_with_a_newline()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("token");
        File.WriteAllText(path, "cit_0123456789abcdef_secret\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var warnings = new StringWriter();
        Assert.Equal("cit_0123456789abcdef_secret", SecretInput.ReadTokenFile(path, warnings));
        Assert.Empty(warnings.ToString());
    }

    [Fact]
    public void Token_file_readable_by_others_works_with_a_warning_that_does_not_show_the_token()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("token");
        File.WriteAllText(path, "cit_secretvalue\r\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var warnings = new StringWriter();
        Assert.Equal("cit_secretvalue", SecretInput.ReadTokenFile(path, warnings));
        Assert.Contains("chmod 600", warnings.ToString());
        Assert.DoesNotContain("secretvalue", warnings.ToString());
    }

    [Fact]
    public void Empty_or_missing_token_file_is_refused()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("empty");
        File.WriteAllText(path, "\n");
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => SecretInput.ReadTokenFile(path, TextWriter.Null)).ExitCode);
        Assert.Equal(ExitCodes.IoError, Assert.Throws<CliException>(() => SecretInput.ReadTokenFile(temp.Combine("absent"), TextWriter.Null)).ExitCode);
    }

    [Fact]
    public void Password_lines_are_taken_as_they_are_less_the_line_ending()
    {
        var lines = SecretInput.ReadLines(new StringReader(" old pass \r\nnew-pass\nextra\n"), 2, "passwords");
        Assert.Equal([" old pass ", "new-pass"], lines);
    }

    [Fact]
    public void Too_few_or_empty_password_lines_are_a_usage_error()
    {
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => SecretInput.ReadLines(new StringReader("only\n"), 2, "passwords")).ExitCode);
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => SecretInput.ReadLines(new StringReader("\n"), 1, "password")).ExitCode);
    }
}
