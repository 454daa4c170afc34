using System.Security.Cryptography;
using System.Text;

namespace Custos.Core.Bootstrap;

/// <summary>
/// The one-time token that lets the first administrator be created. Format: <c>cbt_ID_SECRET</c> (ID 16 hex chars,
/// SECRET 43 base64url chars = 256 bits). Only SHA-256 of the whole token is stored; the plaintext goes to a 0600 file
/// and never to a log.
/// </summary>
public static class BootstrapToken
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    public static (string Token, BootstrapTokenRecord Record) Issue(TimeProvider time, TimeSpan lifetime)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = $"cbt_{id}_{secret}";
        var now = time.GetUtcNow();
        var created = StoredTime.Truncate(now);
        return (token, new BootstrapTokenRecord(id, Hash(token), created, created + lifetime, null));
    }

    /// <summary>Extracts the id, or null when the text is not shaped like a bootstrap token.</summary>
    public static string? TryGetId(string token) => Identity.SecretToken.TryGetId(token.Trim(), "cbt");

    /// <summary>Constant-time check of a presented token against the stored record.</summary>
    public static bool Matches(string token, BootstrapTokenRecord record) =>
        CryptographicOperations.FixedTimeEquals(Hash(token.Trim()), record.TokenHash);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
