using System.Security.Cryptography;
using OtpNet;

namespace Custos.Core.Identity;

/// <summary>
/// Time-based one-time passwords (RFC 6238) as authenticator apps compute them by default: HMAC-SHA-1, 6 digits,
/// 30-second steps from the Unix epoch. The HOTP arithmetic (RFC 4226 §5.3) is Otp.NET's; the window, the replay
/// rule and the constant-time comparison are ours.
/// </summary>
public static class Totp
{
    public const int SecretBytes = 20;
    public const int Digits = 6;
    public const int PeriodSeconds = 30;

    /// <summary>How many steps either side of the current one a code is accepted for (clock drift, typing time).</summary>
    public const int Window = 1;

    /// <summary>A new 160-bit secret (RFC 4226 §4 recommends 160 bits).</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>RFC 4648 base32 without padding, as <c>otpauth://</c> URIs and manual entry expect.</summary>
    public static string ToBase32(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Base32Encoding.ToString(secret).TrimEnd('=');
    }

    /// <summary>
    /// The enrolment URI (Google Authenticator key URI format):
    /// <c>otpauth://totp/Issuer:account?secret=...&amp;issuer=...&amp;algorithm=SHA1&amp;digits=6&amp;period=30</c>.
    /// It holds the secret: show it once, never log it.
    /// </summary>
    public static string OtpauthUri(string issuer, string account, byte[] secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        ArgumentException.ThrowIfNullOrEmpty(account);
        var escapedIssuer = Uri.EscapeDataString(issuer);
        return $"otpauth://totp/{escapedIssuer}:{Uri.EscapeDataString(account)}?secret={ToBase32(secret)}&issuer={escapedIssuer}"
            + $"&algorithm=SHA1&digits={Digits}&period={PeriodSeconds}";
    }

    /// <summary>The RFC 6238 time step T = floor(unix time / 30).</summary>
    public static long StepAt(DateTimeOffset time) => Math.DivRem(time.ToUnixTimeSeconds(), PeriodSeconds, out var r) - (r < 0 ? 1 : 0);

    /// <summary>The 6-digit code for a time step.</summary>
    public static string CodeAt(byte[] secret, long step)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return new Hotp(secret, OtpHashMode.Sha1, Digits).ComputeHOTP(step);
    }

    /// <summary>
    /// The step, within <paramref name="now"/> ± 1 step and later than <paramref name="lastUsedStep"/>, whose code is
    /// <paramref name="code"/>; null when there is none (wrong, expired, malformed, or a replay of an accepted code).
    /// Every candidate is computed and compared in constant time. The caller stores the returned step (atomically:
    /// <see cref="IIdentityStore.TryUseTotpStepAsync"/>) so the code is never accepted again.
    /// </summary>
    public static long? Match(byte[] secret, string code, DateTimeOffset now, long lastUsedStep)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (code is null) return null;
        var trimmed = code.AsSpan().Trim(' ');
        if (trimmed.Length != Digits) return null;
        Span<byte> presented = stackalloc byte[Digits];
        for (var i = 0; i < Digits; i++)
        {
            if (!char.IsAsciiDigit(trimmed[i])) return null;
            presented[i] = (byte)trimmed[i];
        }

        var hotp = new Hotp(secret, OtpHashMode.Sha1, Digits);
        var current = StepAt(now);
        long? matched = null;
        Span<byte> expected = stackalloc byte[Digits];
        for (var step = current - Window; step <= current + Window; step++)
        {
            var candidate = hotp.ComputeHOTP(step);
            for (var i = 0; i < Digits; i++) expected[i] = (byte)candidate[i];
            var equal = CryptographicOperations.FixedTimeEquals(expected, presented);
            if (equal && step > lastUsedStep && matched is null) matched = step;
        }

        return matched;
    }
}
