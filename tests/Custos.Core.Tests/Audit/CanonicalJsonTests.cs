using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

public class CanonicalJsonTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(4.5, "4.5")]
    [InlineData(0.002, "0.002")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e30, "1e+30")]
    [InlineData(123456789012345680000.0, "123456789012345680000")]
    [InlineData(9007199254740992.0, "9007199254740992")]
    [InlineData(333333333.33333329, "333333333.3333333")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    public void Numbers_are_written_as_ECMAScript_does(double value, string expected) =>
        Assert.Equal(expected, CanonicalJson.FormatNumber(value));

    [Fact]
    public void Members_are_sorted_by_UTF16_code_units_as_in_RFC_8785()
    {
        // RFC 8785 §3.2.3 example.
        var input = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
        var output = CanonicalJson.Canonicalize(input);
        var keys = System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"], keys);
    }

    [Fact]
    public void Strings_escape_only_quote_backslash_and_control_characters()
    {
        var output = CanonicalJson.Canonicalize("[\"a\\\"b\\\\c\\u0001\\n\\u00e9\\u2028/\"]");
        Assert.Equal("[\"a\\\"b\\\\c\\u0001\\né\u2028/\"]", output);
    }

    [Fact]
    public void Whitespace_is_removed_and_literals_kept()
    {
        Assert.Equal("{\"a\":[true,false,null],\"b\":{}}", CanonicalJson.Canonicalize(" { \"b\" : { } , \"a\" : [ true , false , null ] } "));
    }

    [Fact]
    public void Duplicate_members_are_refused() =>
        Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize("{\"a\":1,\"a\":2}"));

    [Fact]
    public void Unpaired_surrogates_are_refused() =>
        Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize("[\"\\ud800\"]"));

    [Fact]
    public void Invalid_json_is_a_format_error() =>
        Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize("{\"a\":"));

    [Fact]
    public void Canonicalising_is_idempotent()
    {
        var once = CanonicalJson.Canonicalize("{\"z\":1.50,\"a\":{\"y\":[1e2,\"x\"]}}");
        Assert.Equal("{\"a\":{\"y\":[100,\"x\"]},\"z\":1.5}", once);
        Assert.Equal(once, CanonicalJson.Canonicalize(once));
    }
}
