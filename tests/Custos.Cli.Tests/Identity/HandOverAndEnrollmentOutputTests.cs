using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Identity;
using Custos.Testing;

namespace Custos.Cli.Tests.Identity;

public sealed class HandOverAndEnrollmentOutputTests
{
    private static readonly ConnectionSettings Settings = new(new Uri("https://custos.example:8443/"), null, "SHA256:" + new string('A', 42) + "E");
    private static readonly InvitationDto Invitation = new("inv1", "invite", "cit_0123456789abcdef_" + new string('s', 43), "2030-01-02T00:00:00Z");

    [Fact]
    public void Invitation_on_stdout_comes_with_its_expiry_and_the_exact_accept_command()
    {
        var output = new StringWriter();
        HandOver.Print(output, Invitation, null, "alice", flags => $"custos invite accept {flags} --password-stdin", Settings);
        var text = output.ToString();
        Assert.Contains(Invitation.Token, text);
        Assert.Contains("2030-01-02T00:00:00Z", text);
        Assert.Contains($"custos invite accept --server https://custos.example:8443 --fingerprint {Settings.Fingerprint} --token-file token.txt --password-stdin", text);
    }

    [Fact]
    public void Invitation_written_to_a_file_is_0600_and_not_printed()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("alice.token");
        var output = new StringWriter();
        HandOver.Print(output, Invitation, path, "alice", flags => $"custos invite accept {flags} --password-stdin", Settings);
        Assert.Equal(Invitation.Token + "\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.DoesNotContain(Invitation.Token, output.ToString());
        Assert.Contains($"--token-file {path}", output.ToString());
    }

    [Fact]
    public void Enrollment_shows_uri_secret_qr_and_recovery_codes_and_says_how_to_confirm()
    {
        var uri = "otpauth://totp/Custos:admin?secret=JBSWY3DPEHPK3PXP&issuer=Custos";
        var enrollment = new EnrollmentResponse(
            new UserDto("u1", "admin", null, null, "user", "active", ["admin"], new Dictionary<string, IReadOnlyList<string>>(), "2030-01-01T00:00:00Z", null, 1, false, 0, null),
            new TotpEnrollmentDto("JBSWY3DPEHPK3PXP", uri, "", "Custos", "admin", 6, 30, "SHA1"),
            ["aaaa-bbbb", "cccc-dddd"]);
        var output = new StringWriter();
        EnrollmentCommands.Print(output, enrollment, Settings);
        var text = output.ToString();
        Assert.Contains(uri, text);
        Assert.Contains("JBSWY3DPEHPK3PXP", text);
        Assert.Contains("aaaa-bbbb", text);
        Assert.Contains("cccc-dddd", text);
        Assert.Contains("█", text);
        Assert.Contains("custos login --server https://custos.example:8443 --fingerprint", text);
        Assert.Contains("--user admin", text);
    }

    [Fact]
    public void Terminal_qr_code_is_square_blocks()
    {
        var lines = TerminalQr.Render("otpauth://totp/Custos:a?secret=JBSWY3DPEHPK3PXP").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 10);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
    }
}
