using System.Security.Cryptography;
using System.Text;

namespace Custos.Core.Identity;

/// <summary>
/// One-time recovery codes, the fallback when a user's authenticator is lost. Each carries 80 random bits written
/// as 16 characters of a 32-letter alphabet without look-alikes (no 0/o, 1/l), grouped <c>xxxx-xxxx-xxxx-xxxx</c>.
/// Only SHA-256 of the normalised code is stored: 80 bits is beyond brute force, so a slow hash is not needed.
/// </summary>
public static class RecoveryCodes
{
    public const int Count = 10;

    /// <summary>Characters of a code (without dashes): 16 × 5 bits = 80 bits.</summary>
    public const int Length = 16;

    private const string Alphabet = "23456789abcdefghijkmnpqrstuvwxyz";

    /// <summary>Fresh codes for a user: the texts to show once, and the records to store.</summary>
    public static (IReadOnlyList<string> Codes, IReadOnlyList<RecoveryCodeRecord> Records) Generate(string userId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var codes = new string[Count];
        var records = new RecoveryCodeRecord[Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var raw = NewRaw();
            codes[i] = string.Join('-', raw[..4], raw[4..8], raw[8..12], raw[12..]);
            string id;
            do id = SecretToken.NewId();
            while (!ids.Add(id));
            records[i] = new RecoveryCodeRecord(userId, id, Hash(raw), now, null);
        }

        return (codes, records);
    }

    /// <summary>The code as stored-hash input (lowercase, without spaces or dashes), or null when it cannot be a recovery code.</summary>
    public static string? Normalize(string input)
    {
        if (input is null || input.Length > 64) return null;
        var builder = new StringBuilder(Length);
        foreach (var c in input)
        {
            if (c is ' ' or '-') continue;
            var lower = char.ToLowerInvariant(c);
            if (!Alphabet.Contains(lower, StringComparison.Ordinal) || builder.Length == Length) return null;
            builder.Append(lower);
        }

        return builder.Length == Length ? builder.ToString() : null;
    }

    /// <summary>
    /// The unused record whose hash matches <paramref name="input"/>, or null. Every record is compared in constant
    /// time, without stopping at the first match. The caller then marks it used atomically
    /// (<see cref="IIdentityStore.TryUseRecoveryCodeAsync"/>).
    /// </summary>
    public static RecoveryCodeRecord? Find(string input, IReadOnlyList<RecoveryCodeRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var normalized = Normalize(input);
        if (normalized is null) return null;
        var hash = Hash(normalized);
        RecoveryCodeRecord? found = null;
        foreach (var record in records)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, record.CodeHash);
            if (equal && record.UsedAt is null && found is null) found = record;
        }

        return found;
    }

    private static string NewRaw() => RandomNumberGenerator.GetString(Alphabet, Length);

    private static byte[] Hash(string normalized) => SHA256.HashData(Encoding.ASCII.GetBytes(normalized));
}
