using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Custos.Core.Crypto;

namespace Custos.Server.Identity;

/// <summary>What a WebAuthn ceremony is for; a challenge issued for one purpose is refused for another.</summary>
public enum WebAuthnPurpose
{
    Register,
    Login,
    StepUp,
}

/// <summary>The content of a challenge token: the ceremony, whom it was issued to, the options sent to the client, and when it ends.</summary>
public sealed record WebAuthnChallenge(WebAuthnPurpose Purpose, string IdentityId, string OptionsJson, string? Name, DateTimeOffset ExpiresAt);

/// <summary>Why a challenge token was refused.</summary>
public enum ChallengeRejection
{
    None,
    Malformed,
    WrongPurpose,
    OtherIdentity,
    Expired,
    Used,
    Busy,
}

/// <summary>
/// Stateless WebAuthn challenges: the begin call seals the ceremony's options into a token the client returns on
/// finish, so any instance sharing the database (and the master key) can finish a ceremony another one began.
/// Tokens are AES-256-GCM under a key derived from the master key with HKDF-SHA256 (info
/// <see cref="KeyInfo"/>); the 96-bit random nonce doubles as the token's identity for single use.
/// <para>
/// Single use is enforced per instance only: a redeemed token is remembered here until it expires. With N instances
/// behind a load balancer a captured token could be redeemed at most once on each of them within its 2 minutes. For
/// login and step-up the store's compare-and-set on the signature counter still lets only one assertion win for an
/// authenticator with a counter; for counter-less authenticators (always 0) the bound is N uses within 2 minutes, each
/// of which still needs the assertion the authenticator signed for this very challenge (and, for login, the password
/// was checked when the challenge was issued). Registration replays fail on the credential id's uniqueness.
/// </para>
/// </summary>
public sealed class WebAuthnChallengeTokens
{
    public const string KeyInfo = "custos-webauthn-challenge-v1";
    public const string Prefix = "cwc_";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>Upper bound of remembered (redeemed, unexpired) tokens; past it redemption fails closed (503).</summary>
    public const int MaxRemembered = 100_000;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int MaxTokenChars = 16 * 1024;
    private static readonly byte[] Aad = Encoding.ASCII.GetBytes(KeyInfo);

    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextSweep;

    public WebAuthnChallengeTokens(MasterKey masterKey, TimeProvider time)
    {
        _time = time;
        // MasterKey keeps its bytes internal to Core; its base64 export is the public way to read them.
        var ikm = Convert.FromBase64String(masterKey.Export());
        try
        {
            _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: [], info: Aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
        }
    }

    /// <summary>Seals a new challenge valid for <see cref="Lifetime"/>.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(WebAuthnPurpose purpose, string identityId, string optionsJson, string? name)
    {
        var expiresAt = _time.GetUtcNow() + Lifetime;
        var plaintext = Serialize(new WebAuthnChallenge(purpose, identityId, optionsJson, name, expiresAt));
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key, TagSize))
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Aad);
        return (Prefix + Base64Url.EncodeToString(sealedBytes), expiresAt);
    }

    /// <summary>
    /// Opens a token and, when it is for <paramref name="purpose"/>, issued to <paramref name="identityId"/> (any
    /// identity when null) and unexpired, marks it used. <paramref name="challenge"/> is set whenever the token is
    /// authentic, even when refused, so the caller can attribute the refusal.
    /// </summary>
    public ChallengeRejection Redeem(string? token, WebAuthnPurpose purpose, string? identityId, out WebAuthnChallenge? challenge)
    {
        challenge = null;
        if (token is null || token.Length > MaxTokenChars || !token.StartsWith(Prefix, StringComparison.Ordinal)) return ChallengeRejection.Malformed;
        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(token.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return ChallengeRejection.Malformed;
        }
        if (sealedBytes.Length < NonceSize + TagSize + 2) return ChallengeRejection.Malformed;
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, Aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return ChallengeRejection.Malformed;
        }
        challenge = Deserialize(plaintext);
        if (challenge is null) return ChallengeRejection.Malformed;
        if (challenge.Purpose != purpose) return ChallengeRejection.WrongPurpose;
        if (identityId is not null && !string.Equals(challenge.IdentityId, identityId, StringComparison.Ordinal)) return ChallengeRejection.OtherIdentity;
        var now = _time.GetUtcNow();
        if (now >= challenge.ExpiresAt) return ChallengeRejection.Expired;
        return Remember(Convert.ToBase64String(sealedBytes, 0, NonceSize), challenge.ExpiresAt, now);
    }

    private ChallengeRejection Remember(string nonce, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (now >= _nextSweep || _used.Count >= MaxRemembered)
            {
                foreach (var (key, until) in _used)
                {
                    if (until <= now) _used.Remove(key);
                }
                _nextSweep = now + TimeSpan.FromSeconds(30);
            }
            if (_used.ContainsKey(nonce)) return ChallengeRejection.Used;
            if (_used.Count >= MaxRemembered) return ChallengeRejection.Busy;
            _used[nonce] = expiresAt;
            return ChallengeRejection.None;
        }
    }

    private static byte[] Serialize(WebAuthnChallenge challenge)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("p", PurposeName(challenge.Purpose));
            writer.WriteString("sub", challenge.IdentityId);
            writer.WriteNumber("exp", challenge.ExpiresAt.ToUnixTimeMilliseconds());
            if (challenge.Name is not null) writer.WriteString("name", challenge.Name);
            writer.WriteString("opt", challenge.OptionsJson);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static WebAuthnChallenge? Deserialize(byte[] plaintext)
    {
        // Only this class writes these bytes (the tag proved it), so a shape error means a format change, not an attack.
        try
        {
            using var document = JsonDocument.Parse(plaintext);
            var root = document.RootElement;
            WebAuthnPurpose? purpose = root.GetProperty("p").GetString() switch
            {
                "register" => WebAuthnPurpose.Register,
                "login" => WebAuthnPurpose.Login,
                "step-up" => WebAuthnPurpose.StepUp,
                _ => null,
            };
            if (purpose is null) return null;
            return new WebAuthnChallenge(purpose.Value, root.GetProperty("sub").GetString()!, root.GetProperty("opt").GetString()!,
                root.TryGetProperty("name", out var name) ? name.GetString() : null, DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("exp").GetInt64()));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    public static string PurposeName(WebAuthnPurpose purpose) => purpose switch
    {
        WebAuthnPurpose.Register => "register",
        WebAuthnPurpose.Login => "login",
        _ => "step-up",
    };
}
