using System.Globalization;
using System.Text;

namespace Custos.Core.Identity;

/// <summary>
/// What a password must be (NIST SP 800-63B §5.1.1.2): long enough, not absurdly long, not the user's name, and not
/// on a list of passwords that attackers try first. No composition rules (they make passwords worse, not better).
/// </summary>
/// <remarks>
/// The list of common passwords is <c>common-passwords.txt</c>, embedded in this assembly: the 30,000-entry,
/// frequency-ordered <c>passwords.lst</c> that the zxcvbn-core 1.1.17 package embeds (MIT; the list comes from
/// Dropbox's zxcvbn), extracted once at development time, so Custos does not depend on another package's internal
/// resource names. Entries shorter than <see cref="MinLength"/> are skipped when loading: the length rule refuses
/// them first.
/// </remarks>
public static class PasswordPolicy
{
    public const int MinLength = 12;

    /// <summary>Longest password, in UTF-8 bytes (what <see cref="PasswordHasher"/> accepts).</summary>
    public const int MaxLength = 1024;

    /// <summary>A user name shorter than this is only compared for equality: "containing" a two-letter name means little.</summary>
    private const int MinContainedNameLength = 3;

    private const string ResourceName = "Custos.Core.Identity.common-passwords.txt";

    private static readonly Lazy<HashSet<string>> Common = new(LoadCommon, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when the password is acceptable, otherwise a sentence telling the user what is wrong.</summary>
    public static string? Check(string password, string? userName)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length > MaxLength || Encoding.UTF8.GetByteCount(password) > MaxLength)
            return $"Password is too long: at most {MaxLength} bytes.";
        // Characters as the user sees them (text elements), not UTF-16 units: an emoji counts once.
        if (new StringInfo(password).LengthInTextElements < MinLength)
            return $"Password is shorter than {MinLength} characters.";
        var lower = password.ToLowerInvariant();
        if (!string.IsNullOrEmpty(userName))
        {
            var name = userName.ToLowerInvariant();
            if (lower == name)
                return "Password may not be your user name.";
            if (new StringInfo(name).LengthInTextElements >= MinContainedNameLength && lower.Contains(name, StringComparison.Ordinal))
                return "Password may not contain your user name.";
        }

        if (IsCommon(lower))
            return "Password is on a list of commonly used passwords; choose another.";
        return null;
    }

    /// <summary>True when the password, ignoring case, is on the bundled list of common passwords.</summary>
    public static bool IsCommon(string password) => Common.Value.Contains(password.ToLowerInvariant());

    /// <summary>How many common passwords are loaded (those of at least <see cref="MinLength"/> characters).</summary>
    internal static int CommonCount => Common.Value.Count;

    private static HashSet<string> LoadCommon()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from Custos.Core.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            if (new StringInfo(line).LengthInTextElements >= MinLength) set.Add(line.ToLowerInvariant());
        }

        return set;
    }
}
