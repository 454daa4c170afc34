using System.Globalization;
using System.Text;

namespace Custos.Core.Identity;

/// <summary>
/// Validation and normalisation of identity names (users, bots, agents). A name is NFKC-normalised (so the
/// full-width "ａｄｍｉｎ" and "admin" are one name), may hold Unicode letters, decimal digits, <c>.</c>, <c>-</c>,
/// <c>_</c> and <c>@</c>, is 1–64 characters long, and may not mix Latin with Cyrillic or Greek letters (the classic
/// homograph attack: "аdmin" with a Cyrillic а). The case-folded form is the uniqueness key.
/// </summary>
/// <remarks>
/// NFKC comes from the runtime's ICU. Under invariant globalization (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1, or no
/// libicu) <see cref="string.Normalize(NormalizationForm)"/> silently returns non-ASCII text unchanged; that is
/// detected, and then only ASCII names (which NFKC leaves unchanged) are accepted: failing closed is better than
/// letting two spellings of one name coexist.
/// </remarks>
public static class IdentityName
{
    public const int MaxLength = 64;

    /// <summary>Longest input looked at: NFKC rarely shrinks text, so anything longer cannot become a valid name.</summary>
    private const int MaxInputLength = 4 * MaxLength;

    /// <summary>More combining marks than this on one letter is "Zalgo" text, not a name.</summary>
    private const int MaxMarksPerLetter = 3;

    private static readonly Func<string, string?> Nfkc = ChooseNormalizer();

    /// <summary>
    /// Normalises <paramref name="input"/> into a name and its case-insensitive key, or explains (in
    /// <paramref name="error"/>, a sentence fit for the user) why it cannot be a name.
    /// </summary>
    public static bool TryNormalize(string? input, out string name, out string nameKey, out string? error)
    {
        name = "";
        nameKey = "";
        error = Validate(input, out var normalized);
        if (error is not null) return false;
        name = normalized!;
        nameKey = name.ToLowerInvariant();
        return true;
    }

    /// <summary>True when non-ASCII names can be normalised on this machine (the runtime or ICU provides NFKC).</summary>
    public static bool SupportsNonAscii => Nfkc("\uFF41") == "a";

    private static string? Validate(string? input, out string? normalized)
    {
        normalized = null;
        if (string.IsNullOrEmpty(input)) return "Name is required.";
        if (input.Length > MaxInputLength) return $"Name is longer than {MaxLength} characters.";
        // Invisible characters are reported before normalisation, so the message names what the user typed.
        var invisible = FindInvisible(input);
        if (invisible is not null) return invisible;
        var nfkc = Nfkc(input);
        if (nfkc is null && HasUnpairedSurrogate(input)) return "Name is not well-formed text (it contains an unpaired UTF-16 surrogate).";
        if (nfkc is null)
            return "Name contains non-ASCII characters, which this server cannot normalise (the ICU library is missing).";
        invisible = FindInvisible(nfkc);
        if (invisible is not null) return invisible;
        var length = 0;
        foreach (var _ in nfkc.EnumerateRunes()) length++;
        if (length > MaxLength) return $"Name is longer than {MaxLength} characters.";
        var characters = CheckCharacters(nfkc);
        if (characters is not null) return characters;
        if (nfkc[0] is '.' or '-' || nfkc[^1] is '.' or '-')
            return "Name may not start or end with '.' or '-'.";
        var scripts = CheckScripts(nfkc);
        if (scripts is not null) return scripts;
        normalized = nfkc;
        return null;
    }

    private static string? FindInvisible(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.Control)
                return $"Name contains a control character {Describe(rune)}.";
            if (category == UnicodeCategory.Format)
                return $"Name contains an invisible formatting character {Describe(rune)}.";
            if (Rune.IsWhiteSpace(rune) || category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                return $"Name contains a whitespace character {Describe(rune)}.";
            if (category is UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                return $"Name contains an unassigned or private-use character {Describe(rune)}.";
            if (IsDefaultIgnorable(rune.Value))
                return $"Name contains an invisible character {Describe(rune)}.";
        }

        return null;
    }

    private static string? CheckCharacters(string nfkc)
    {
        var marks = 0;
        var afterLetter = false;
        foreach (var rune in nfkc.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            switch (category)
            {
                case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                    afterLetter = true;
                    marks = 0;
                    continue;
                case UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark:
                    // Scripts such as Devanagari or Thai write vowels as marks on a letter; a bare mark is not a name.
                    if (!afterLetter || ++marks > MaxMarksPerLetter)
                        return $"Name contains a combining mark {Describe(rune)} that is not on a letter.";
                    continue;
                case UnicodeCategory.DecimalDigitNumber:
                    afterLetter = false;
                    continue;
            }

            if (rune.Value is '.' or '-' or '_' or '@')
            {
                afterLetter = false;
                continue;
            }

            return $"Name contains the character '{rune}' ({Describe(rune)}), which is not allowed: use letters, digits, '.', '-', '_' or '@'.";
        }

        return null;
    }

    private enum Script
    {
        Other,
        Latin,
        Greek,
        Cyrillic,
    }

    /// <summary>Refuses Latin mixed with Greek or Cyrillic letters (and Greek with Cyrillic): their look-alikes make homographs.</summary>
    private static string? CheckScripts(string nfkc)
    {
        Rune? latin = null, greek = null, cyrillic = null;
        foreach (var rune in nfkc.EnumerateRunes())
        {
            switch (ScriptOf(rune.Value))
            {
                case Script.Latin: latin ??= rune; break;
                case Script.Greek: greek ??= rune; break;
                case Script.Cyrillic: cyrillic ??= rune; break;
            }
        }

        if (latin is not null && cyrillic is { } c)
            return $"Name mixes Latin and Cyrillic letters ('{c}' {Describe(c)} is Cyrillic), which can impersonate another name.";
        if (latin is not null && greek is { } g)
            return $"Name mixes Latin and Greek letters ('{g}' {Describe(g)} is Greek), which can impersonate another name.";
        if (greek is not null && cyrillic is { } c2)
            return $"Name mixes Greek and Cyrillic letters ('{c2}' {Describe(c2)} is Cyrillic), which can impersonate another name.";
        return null;
    }

    // Block ranges of the three scripts (Unicode 15 Blocks.txt); only letters reach this check.
    private static Script ScriptOf(int cp) => cp switch
    {
        (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') => Script.Latin,
        >= 0x00C0 and <= 0x024F => Script.Latin, // Latin-1 Supplement letters, Latin Extended-A/B
        >= 0x1E00 and <= 0x1EFF => Script.Latin, // Latin Extended Additional
        (>= 0x2C60 and <= 0x2C7F) or (>= 0xA720 and <= 0xA7FF) or (>= 0xAB30 and <= 0xAB6F) => Script.Latin,
        >= 0x0370 and <= 0x03FF => Script.Greek, // Greek and Coptic
        >= 0x1F00 and <= 0x1FFF => Script.Greek, // Greek Extended
        >= 0x0400 and <= 0x052F => Script.Cyrillic, // Cyrillic, Cyrillic Supplement
        (>= 0x1C80 and <= 0x1C8F) or (>= 0x2DE0 and <= 0x2DFF) or (>= 0xA640 and <= 0xA69F) => Script.Cyrillic,
        _ => Script.Other,
    };

    // Default_Ignorable_Code_Point characters that are not Cf (those are caught as format characters):
    // combining grapheme joiner, Hangul fillers, variation selectors.
    private static bool IsDefaultIgnorable(int cp) =>
        cp is 0x034F or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or (>= 0x180B and <= 0x180F) or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);

    private static string Describe(Rune rune) => "U+" + rune.Value.ToString("X4", CultureInfo.InvariantCulture);

    private static bool HasUnpairedSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    /// <summary>ICU refuses ill-formed UTF-16 (an unpaired surrogate) with an exception: such input is no name.</summary>
    private static string? NormalizeOrNull(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static Func<string, string?> ChooseNormalizer()
    {
        if ("\uFF41".Normalize(NormalizationForm.FormKC) == "a")
            return NormalizeOrNull;
        return text => Ascii.IsValid(text) ? text : null;
    }
}
