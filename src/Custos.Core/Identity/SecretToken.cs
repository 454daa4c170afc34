using System.Security.Cryptography;
using System.Text;

namespace Custos.Core.Identity;

/// <summary>
/// The shapes of Custos's bearer secrets. Each starts with a prefix that says what it is (so a leaked token is
/// recognisable by secret scanners) and carries 256 random bits; only SHA-256 of the whole text is stored.
/// <list type="bullet">
/// <item><c>cst_SECRET</c>: a session (API bearer) token.</item>
/// <item><c>cit_ID_SECRET</c>: an invitation (invite, password or MFA reset, recovery).</item>
/// <item><c>cbj_ID_SECRET</c>: a bot or agent join token.</item>
/// <item><c>cbc_USERID_GENERATION_SECRET</c>: a bot's renewable credential.</item>
/// </list>
/// ID is 16 lowercase hex characters; SECRET is 43 base64url characters.
/// </summary>
public static class SecretToken
{
    public const string SessionPrefix = "cst";
    public const string InvitationPrefix = "cit";
    public const string BotJoinPrefix = "cbj";
    public const string BotCredentialPrefix = "cbc";

    /// <summary>Longest token text accepted anywhere (a bot credential with a long generation number fits easily).</summary>
    public const int MaxLength = 128;

    private const int SecretChars = 43;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewSessionToken() => SessionPrefix + "_" + NewSecret();

    public static string NewIdentified(string prefix, string id) => $"{prefix}_{id}_{NewSecret()}";

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>SHA-256 of the token's UTF-8 bytes without allocating (tokens are ASCII and short).</summary>
    public static void Hash(ReadOnlySpan<char> token, Span<byte> destination)
    {
        Span<byte> utf8 = stackalloc byte[MaxLength * 3];
        var n = Encoding.UTF8.GetBytes(token, utf8);
        SHA256.HashData(utf8[..n], destination);
    }

    /// <summary>Constant-time comparison of a presented token with a stored hash.</summary>
    public static bool Matches(string token, byte[] storedHash) =>
        storedHash.Length == SHA256.HashSizeInBytes && CryptographicOperations.FixedTimeEquals(Hash(token), storedHash);

    /// <summary>True when the text is shaped like a session token (<c>cst_</c> and 43 base64url characters).</summary>
    public static bool IsSessionTokenShape(ReadOnlySpan<char> token) =>
        token.Length == SessionPrefix.Length + 1 + SecretChars && token.StartsWith("cst_", StringComparison.Ordinal) && IsBase64Url(token[4..]);

    /// <summary>Extracts the id of an identified token (<c>PREFIX_ID_SECRET</c>), or null when the text has another shape.</summary>
    public static string? TryGetId(string token, string prefix)
    {
        // Positions, not Split('_'): the base64url secret may itself contain '_'.
        var idStart = prefix.Length + 1;
        if (token.Length != idStart + 16 + 1 + SecretChars || !token.StartsWith(prefix + "_", StringComparison.Ordinal) || token[idStart + 16] != '_')
            return null;
        var id = token.Substring(idStart, 16);
        return IsHexId(id) && IsBase64Url(token.AsSpan(idStart + 17)) ? id : null;
    }

    /// <summary>Builds a bot credential for a user id (an identity id) and generation.</summary>
    public static string NewBotCredential(string userId, long generation) =>
        $"{BotCredentialPrefix}_{userId}_{generation.ToString(System.Globalization.CultureInfo.InvariantCulture)}_{NewSecret()}";

    /// <summary>Parses a bot credential into its identity id and generation, or false when it has another shape.</summary>
    public static bool TryParseBotCredential(string token, out string userId, out long generation)
    {
        userId = "";
        generation = 0;
        const int idStart = 4; // "cbc_"
        if (token.Length > MaxLength || !token.StartsWith(BotCredentialPrefix + "_", StringComparison.Ordinal) || token.Length < idStart + 16 + 3 + SecretChars)
            return false;
        var id = token.Substring(idStart, 16);
        if (!IsHexId(id) || token[idStart + 16] != '_') return false;
        var rest = token.AsSpan(idStart + 17);
        var cut = rest.IndexOf('_');
        if (cut is < 1 or > 18 || rest[0] == '0') return false;
        var digits = rest[..cut];
        foreach (var c in digits)
            if (!char.IsAsciiDigit(c)) return false;
        var secret = rest[(cut + 1)..];
        if (secret.Length != SecretChars || !IsBase64Url(secret)) return false;
        generation = long.Parse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
        userId = id;
        return generation >= 1;
    }

    private static bool IsHexId(string id) => id.Length == 16 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static bool IsBase64Url(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
