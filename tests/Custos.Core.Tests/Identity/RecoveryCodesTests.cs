using System.Security.Cryptography;
using System.Text;
using Custos.Core.Identity;

namespace Custos.Core.Tests.Identity;

public class RecoveryCodesTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ten_codes_of_four_groups_of_four_unambiguous_characters_are_generated()
    {
        var (codes, records) = RecoveryCodes.Generate("0123456789abcdef", Now);
        Assert.Equal(RecoveryCodes.Count, codes.Count);
        Assert.Equal(RecoveryCodes.Count, records.Count);
        Assert.All(codes, code => Assert.Matches("^[2-9a-km-np-z]{4}-[2-9a-km-np-z]{4}-[2-9a-km-np-z]{4}-[2-9a-km-np-z]{4}$", code));
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(records.Count, records.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(records, r =>
        {
            Assert.Equal("0123456789abcdef", r.UserId);
            Assert.Matches("^[0-9a-f]{16}$", r.Id);
            Assert.Equal(32, r.CodeHash.Length);
            Assert.Equal(Now, r.CreatedAt);
            Assert.Null(r.UsedAt);
        });
        // Only the hash of the normalised code is stored.
        var normalized = codes[0].Replace("-", "", StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(normalized)), records[0].CodeHash);
    }

    [Fact]
    public void Codes_are_random_across_generations()
    {
        var a = RecoveryCodes.Generate("u", Now).Codes;
        var b = RecoveryCodes.Generate("u", Now).Codes;
        Assert.Empty(a.Intersect(b, StringComparer.Ordinal));
    }

    [Fact]
    public void A_code_finds_its_record_however_it_is_typed()
    {
        var (codes, records) = RecoveryCodes.Generate("u", Now);
        Assert.Same(records[3], RecoveryCodes.Find(codes[3], records));
        Assert.Same(records[3], RecoveryCodes.Find(codes[3].ToUpperInvariant(), records));
        Assert.Same(records[3], RecoveryCodes.Find(" " + codes[3].Replace('-', ' ') + " ", records));
        Assert.Same(records[3], RecoveryCodes.Find(codes[3].Replace("-", "", StringComparison.Ordinal), records));
    }

    [Fact]
    public void A_used_code_is_not_found_again()
    {
        var (codes, records) = RecoveryCodes.Generate("u", Now);
        var found = RecoveryCodes.Find(codes[0], records);
        Assert.NotNull(found);
        var afterUse = records.Select(r => r.Id == found.Id ? r with { UsedAt = Now } : r).ToList();
        Assert.Null(RecoveryCodes.Find(codes[0], afterUse));
        Assert.NotNull(RecoveryCodes.Find(codes[1], afterUse));
    }

    [Fact]
    public void Codes_of_another_set_are_not_found()
    {
        var mine = RecoveryCodes.Generate("u", Now).Records;
        var others = RecoveryCodes.Generate("v", Now).Codes;
        Assert.All(others, code => Assert.Null(RecoveryCodes.Find(code, mine)));
        Assert.Null(RecoveryCodes.Find(others[0], []));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcd-efgh-jkmn-pqr")] // 15 characters
    [InlineData("abcd-efgh-jkmn-pqrst")] // 17 characters
    [InlineData("abcd-efgh-jkmn-pqr0")] // 0 is not in the alphabet
    [InlineData("abcd-efgh-jkmn-pqrl")] // nor l
    [InlineData("abcd-efgh-jkmn-pqro")] // nor o
    [InlineData("abcd_efgh_jkmn_pqrs")]
    [InlineData("abcd-efgh-jkmn-pqrä")]
    [InlineData("abcd-efgh-jkmn-pqrs\n")]
    public void Malformed_input_normalises_to_null(string input)
    {
        Assert.Null(RecoveryCodes.Normalize(input));
        Assert.Null(RecoveryCodes.Find(input, RecoveryCodes.Generate("u", Now).Records));
    }

    [Fact]
    public void Normalisation_lowercases_and_strips_separators()
    {
        Assert.Equal("abcdefghjkmnpqrs", RecoveryCodes.Normalize("ABCD-EFGH jkmn-PQRS"));
        Assert.Null(RecoveryCodes.Normalize(new string('a', 10_000)));
    }
}
