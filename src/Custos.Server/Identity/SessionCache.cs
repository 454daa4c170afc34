using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Custos.Core.Identity;

namespace Custos.Server.Identity;

/// <summary>Why a bearer token was not accepted.</summary>
public enum TokenRejection
{
    None,
    Missing,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    IdentityInactive,
}

/// <summary>
/// Validates bearer tokens in microseconds: SHA-256 of the token keys an in-memory map of sessions (the database
/// stores only the same hash). A miss reads the database once. Entries are dropped at once when this instance
/// revokes a session or changes its identity, re-read after <c>auth.session_cache_max_age</c>, and dropped when the
/// revocation poll sees a session revoked by another instance — that poll interval bounds how long a revoked token
/// still works on the other instances.
/// </summary>
public sealed class SessionCache(IIdentityStore store, TimeProvider time, TimeSpan maxAge)
{
    /// <summary>
    /// A cached session with the principal built once when it is loaded: a hit hands out that same immutable
    /// principal, so the hot path allocates nothing.
    /// </summary>
    private sealed record Entry(CustosPrincipal Principal, long LoadedAt)
    {
        public SessionRecord Session => Principal.Session;

        public IdentityRecord Identity => Principal.Identity;
    }

    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<UInt128, Entry> _entries = new();
    private readonly long _maxAgeTicks = (long)(maxAge.TotalSeconds * time.TimestampFrequency);

    public int Count => _entries.Count;

    /// <summary>
    /// The cached principal for a token, or null when the cache cannot answer (miss or stale): then call
    /// <see cref="ValidateAsync"/>. Never touches the database; allocation-free on a hit.
    /// </summary>
    public CustosPrincipal? TryValidateCached(ReadOnlySpan<char> token, out TokenRejection rejection)
    {
        rejection = TokenRejection.None;
        if (!SecretToken.IsSessionTokenShape(token))
        {
            rejection = TokenRejection.Malformed;
            return null;
        }
        Span<byte> hash = stackalloc byte[32];
        SecretToken.Hash(token, hash);
        if (!_entries.TryGetValue(Key(hash), out var entry)) return null;
        if (time.GetTimestamp() - entry.LoadedAt > _maxAgeTicks) return null;
        if (!CryptographicOperations.FixedTimeEquals(hash, entry.Session.TokenHash)) return null;
        rejection = Check(entry.Session, entry.Identity, time.GetUtcNow());
        return rejection == TokenRejection.None ? entry.Principal : null;
    }

    /// <summary>Validates a token against the database (and caches the result).</summary>
    public async Task<(CustosPrincipal? Principal, TokenRejection Rejection)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var cached = TryValidateCached(token, out var rejection);
        if (cached is not null || rejection != TokenRejection.None) return (cached, rejection);
        var hash = SecretToken.Hash(token);
        var session = await store.GetSessionByTokenHashAsync(hash, cancellationToken).ConfigureAwait(false);
        if (session is null || !CryptographicOperations.FixedTimeEquals(hash, session.TokenHash))
        {
            _entries.TryRemove(Key(hash), out _);
            return (null, TokenRejection.Unknown);
        }
        var identity = await store.GetIdentityAsync(session.UserId, cancellationToken).ConfigureAwait(false);
        if (identity is null) return (null, TokenRejection.Unknown);
        rejection = Check(session, identity, time.GetUtcNow());
        if (rejection != TokenRejection.None)
        {
            _entries.TryRemove(Key(hash), out _);
            return (null, rejection);
        }
        if (_entries.Count >= MaxEntries) Prune();
        var principal = new CustosPrincipal(identity, session);
        _entries[Key(hash)] = new Entry(principal, time.GetTimestamp());
        return (principal, TokenRejection.None);
    }

    private static TokenRejection Check(SessionRecord session, IdentityRecord identity, DateTimeOffset now) =>
        session.RevokedAt is not null ? TokenRejection.Revoked
        : now >= session.ExpiresAt ? TokenRejection.Expired
        : identity.Status != IdentityStatus.Active ? TokenRejection.IdentityInactive
        : TokenRejection.None;

    /// <summary>Replaces the cached copy of a session (after a step-up MFA check, for example).</summary>
    public void Update(SessionRecord session, IdentityRecord identity) =>
        _entries[Key(session.TokenHash)] = new Entry(new CustosPrincipal(identity, session), time.GetTimestamp());

    public void InvalidateSession(string sessionId)
    {
        foreach (var (key, entry) in _entries)
            if (entry.Session.Id == sessionId) _entries.TryRemove(key, out _);
    }

    public void InvalidateSessions(IEnumerable<string> sessionIds)
    {
        var ids = sessionIds.ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0) return;
        foreach (var (key, entry) in _entries)
            if (ids.Contains(entry.Session.Id)) _entries.TryRemove(key, out _);
    }

    /// <summary>Drops every cached session of an identity (status, roles or credentials changed).</summary>
    public void InvalidateIdentity(string identityId)
    {
        foreach (var (key, entry) in _entries)
            if (entry.Identity.Id == identityId) _entries.TryRemove(key, out _);
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _entries)
            if (entry.Session.ExpiresAt <= now || time.GetTimestamp() - entry.LoadedAt > _maxAgeTicks) _entries.TryRemove(key, out _);
        if (_entries.Count >= MaxEntries) _entries.Clear();
    }

    private static UInt128 Key(ReadOnlySpan<byte> hash) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]));
}
