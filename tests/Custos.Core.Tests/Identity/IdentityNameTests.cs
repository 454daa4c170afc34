using Custos.Core.Identity;
using FsCheck;
using FsCheck.Fluent;

namespace Custos.Core.Tests.Identity;

public class IdentityNameTests
{
    [Theory]
    [InlineData("alice", "alice", "alice")]
    [InlineData("Alice.Smith", "Alice.Smith", "alice.smith")]
    [InlineData("deploy-bot_01@ci", "deploy-bot_01@ci", "deploy-bot_01@ci")]
    [InlineData("José", "José", "josé")]
    [InlineData("Σωκράτης", "Σωκράτης", "σωκράτης")]
    [InlineData("Дмитрий", "Дмитрий", "дмитрий")]
    [InlineData("田中", "田中", "田中")]
    [InlineData("a", "a", "a")]
    public void Valid_names_are_kept_with_a_case_folded_key(string input, string name, string key)
    {
        Assert.True(IdentityName.TryNormalize(input, out var n, out var k, out var error), error);
        Assert.Equal(name, n);
        Assert.Equal(key, k);
        Assert.Null(error);
    }

    [Fact]
    public void Non_ascii_normalisation_is_available_on_this_machine()
    {
        // Custos runs with InvariantGlobalization, so this proves the ICU path (or the runtime's) really normalises.
        Assert.True(IdentityName.SupportsNonAscii);
    }

    [Theory]
    [InlineData("ａｄｍｉｎ", "admin")] // full-width forms
    [InlineData("ＡＤＭＩＮ", "ADMIN")]
    [InlineData("e\u0301cole", "école")] // decomposed é composes
    [InlineData("ﬁle", "file")] // ligature
    [InlineData("𝐚dmin", "admin")] // mathematical bold a
    [InlineData("x²", "x2")]
    public void Names_are_NFKC_normalised(string input, string expected)
    {
        Assert.True(IdentityName.TryNormalize(input, out var name, out _, out var error), error);
        Assert.Equal(expected, name);
    }

    [Fact]
    public void Names_that_differ_only_in_case_or_width_share_a_key()
    {
        IdentityName.TryNormalize("Admin", out _, out var a, out _);
        IdentityName.TryNormalize("ａｄｍｉｎ", out _, out var b, out _);
        IdentityName.TryNormalize("ADMIN", out _, out var c, out _);
        Assert.Equal("admin", a);
        Assert.Equal(a, b);
        Assert.Equal(a, c);
    }

    [Fact]
    public void Sixty_four_characters_are_accepted_and_sixty_five_refused()
    {
        Assert.True(IdentityName.TryNormalize(new string('a', 64), out _, out _, out _));
        Assert.False(IdentityName.TryNormalize(new string('a', 65), out _, out _, out var error));
        Assert.Equal("Name is longer than 64 characters.", error);
        // Characters, not UTF-16 units: 64 letters outside the BMP fit.
        Assert.True(IdentityName.TryNormalize(string.Concat(Enumerable.Repeat("𠀀", 64)), out _, out _, out var e2), e2);
    }

    [Fact]
    public void Length_is_counted_after_normalisation()
    {
        // U+FB03 "ﬃ" becomes three letters.
        Assert.False(IdentityName.TryNormalize(new string('a', 62) + "ﬃ", out _, out _, out var error));
        Assert.Equal("Name is longer than 64 characters.", error);
    }

    [Theory]
    [InlineData(null, "Name is required.")]
    [InlineData("", "Name is required.")]
    [InlineData("bad\u0007bell", "Name contains a control character U+0007.")]
    [InlineData("a\u0000b", "Name contains a control character U+0000.")]
    [InlineData("ad\u200Bmin", "Name contains an invisible formatting character U+200B.")]
    [InlineData("admin\u202Etxt", "Name contains an invisible formatting character U+202E.")]
    [InlineData("john smith", "Name contains a whitespace character U+0020.")]
    [InlineData("tab\there", "Name contains a control character U+0009.")]
    [InlineData("nb\u00A0sp", "Name contains a whitespace character U+00A0.")]
    [InlineData("ad\u034Fmin", "Name contains an invisible character U+034F.")]
    [InlineData(".alice", "Name may not start or end with '.' or '-'.")]
    [InlineData("alice-", "Name may not start or end with '.' or '-'.")]
    [InlineData("alice/bob", "Name contains the character '/' (U+002F), which is not allowed: use letters, digits, '.', '-', '_' or '@'.")]
    public void Invalid_names_are_refused_with_a_precise_reason(string? input, string expected)
    {
        Assert.False(IdentityName.TryNormalize(input, out var name, out var key, out var error));
        Assert.Equal(expected, error);
        Assert.Equal("", name);
        Assert.Equal("", key);
    }

    [Theory]
    [InlineData("admin'--")]
    [InlineData("a; DROP TABLE users")]
    [InlineData("x\" OR \"1\"=\"1")]
    [InlineData("<script>")]
    [InlineData("../../etc/passwd")]
    [InlineData("${jndi:ldap://x}")]
    [InlineData("a%00b")]
    public void Injection_shaped_strings_are_refused(string input)
    {
        Assert.False(IdentityName.TryNormalize(input, out _, out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("\u0430dmin", "Cyrillic", "U+0430")] // Cyrillic а
    [InlineData("p\u0430ypal", "Cyrillic", "U+0430")]
    [InlineData("\u03BFscar", "Greek", "U+03BF")] // Greek omicron
    [InlineData("Ρоман", "Cyrillic", "U+043E")] // Greek Rho with Cyrillic letters
    public void Names_mixing_confusable_scripts_are_refused(string input, string script, string codePoint)
    {
        Assert.False(IdentityName.TryNormalize(input, out _, out _, out var error));
        Assert.Contains(script, error, StringComparison.Ordinal);
        Assert.Contains(codePoint, error, StringComparison.Ordinal);
        Assert.Contains("impersonate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Latin_with_other_scripts_and_digits_is_allowed()
    {
        Assert.True(IdentityName.TryNormalize("tanaka田中2", out _, out _, out var error), error);
    }

    [Theory]
    [InlineData("\u0301abc")] // a mark with no letter
    [InlineData("a\u0301\u0302\u0303\u0304\u0305")] // "Zalgo"
    public void Stray_or_stacked_combining_marks_are_refused(string input)
    {
        Assert.False(IdentityName.TryNormalize(input, out _, out _, out var error));
        Assert.Contains("combining mark", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Very_long_input_is_refused_without_normalising_it()
    {
        Assert.False(IdentityName.TryNormalize(new string('a', 1_000_000), out _, out _, out var error));
        Assert.Equal("Name is longer than 64 characters.", error);
    }

    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "9", ".", "-", "_", "@", " ", "'", ";", "é", "e\u0301", "ａ", "Ａ", "ﬁ", "а", "ο", "Σ", "田",
        "\u0000", "\u0007", "\u200B", "\u202E", "\u0301", "²", "𝐚", "ß", "İ", "ǅ", "\uD800", "\uDC00", "😀", "\uFDFA", "Ⅻ",
    ];

    [Fact]
    public void Normalising_never_throws_and_accepted_names_are_fixed_points()
    {
        var pieceStrings = Gen.ListOf(Gen.Elements(Pieces)).Select(string.Concat);
        var inputs = Gen.OneOf(pieceStrings, ArbMap.Default.ArbFor<string>().Generator).ToArbitrary();
        Prop.ForAll(inputs, input =>
        {
            if (!IdentityName.TryNormalize(input, out var name, out var key, out var error))
                return error is { Length: > 0 } && name == "" && key == "";
            return error is null
                && IdentityName.TryNormalize(name, out var again, out var againKey, out _)
                && again == name
                && againKey == key
                && string.Equals(key, name.ToLowerInvariant(), StringComparison.Ordinal);
        }).QuickCheckThrowOnFailure();
    }
}
