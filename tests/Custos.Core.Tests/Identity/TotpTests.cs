using System.Text;
using Custos.Core.Identity;

namespace Custos.Core.Tests.Identity;

public class TotpTests
{
    // RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    private static readonly byte[] RfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void RFC_6238_test_vectors_give_the_last_six_digits(long unixSeconds, string eightDigits)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        var step = Totp.StepAt(time);
        Assert.Equal(unixSeconds / 30, step);
        Assert.Equal(eightDigits[2..], Totp.CodeAt(RfcSecret, step));
        Assert.Equal(step, Totp.Match(RfcSecret, eightDigits[2..], time, lastUsedStep: 0));
    }

    [Fact]
    public void Codes_of_the_previous_and_next_step_are_accepted_and_no_further()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_015);
        var step = Totp.StepAt(now);
        Assert.Equal(step - 1, Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step - 1), now, 0));
        Assert.Equal(step + 1, Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step + 1), now, 0));
        Assert.Null(Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step - 2), now, 0));
        Assert.Null(Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step + 2), now, 0));
    }

    [Fact]
    public void A_code_is_not_accepted_again_once_its_step_was_used()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_015);
        var step = Totp.StepAt(now);
        var code = Totp.CodeAt(RfcSecret, step);
        var used = Totp.Match(RfcSecret, code, now, lastUsedStep: 0);
        Assert.Equal(step, used);
        Assert.Null(Totp.Match(RfcSecret, code, now, lastUsedStep: used!.Value));
        Assert.Null(Totp.Match(RfcSecret, code, now.AddSeconds(20), lastUsedStep: used.Value));
        // An older code in the window is refused too once a later step was used.
        Assert.Null(Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step - 1), now, lastUsedStep: step));
        // The next step's code still works.
        Assert.Equal(step + 1, Totp.Match(RfcSecret, Totp.CodeAt(RfcSecret, step + 1), now.AddSeconds(30), lastUsedStep: step));
    }

    [Fact]
    public void Surrounding_spaces_are_ignored()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(59);
        Assert.Equal(1, Totp.Match(RfcSecret, "  287082 ", now, 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("28708")]
    [InlineData("2870820")]
    [InlineData("287 082")]
    [InlineData("28708a")]
    [InlineData("-28708")]
    [InlineData("٢٨٧٠٨٢")] // Arabic-Indic digits are digits, but not ASCII
    [InlineData("２８７０８２")] // full-width
    [InlineData("287082\n")]
    [InlineData(null)]
    public void Malformed_codes_are_refused(string? code)
    {
        Assert.Null(Totp.Match(RfcSecret, code!, DateTimeOffset.FromUnixTimeSeconds(59), 0));
    }

    [Fact]
    public void A_wrong_code_is_refused()
    {
        Assert.Null(Totp.Match(RfcSecret, "287083", DateTimeOffset.FromUnixTimeSeconds(59), 0));
    }

    [Fact]
    public void Steps_before_1970_round_down()
    {
        Assert.Equal(-1, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(-1)));
        Assert.Equal(0, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(29)));
        Assert.Equal(1, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(30)));
    }

    [Fact]
    public void New_secrets_are_160_random_bits_in_unpadded_base32()
    {
        var a = Totp.NewSecret();
        Assert.Equal(20, a.Length);
        Assert.NotEqual(a, Totp.NewSecret());
        Assert.Equal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Totp.ToBase32(RfcSecret));
        Assert.Equal("MZXW6", Totp.ToBase32("foo"u8.ToArray())); // RFC 4648 §10, padding dropped
    }

    [Fact]
    public void The_otpauth_uri_escapes_issuer_and_account()
    {
        var uri = Totp.OtpauthUri("Custos Prod", "alice@example.com", RfcSecret);
        Assert.Equal(
            "otpauth://totp/Custos%20Prod:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Custos%20Prod&algorithm=SHA1&digits=6&period=30",
            uri);
        Assert.Contains("a%3Ab", Totp.OtpauthUri("a:b", "c&d", RfcSecret), StringComparison.Ordinal);
        Assert.Contains(":c%26d?", Totp.OtpauthUri("a:b", "c&d", RfcSecret), StringComparison.Ordinal);
    }
}
