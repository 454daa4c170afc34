using System.Collections.Concurrent;

namespace Custos.Server.Certificates;

/// <summary>
/// A token bucket per key (per instance) — an identity's certificates, or an address's failed node proofs: <c>burst</c>
/// at once, refilled at <c>ratePerMinute</c>.
/// Idle buckets are dropped once full again, so memory follows the active identities.
/// </summary>
public sealed class IssueRateLimiter(int ratePerMinute, int burst, TimeProvider time)
{
    private sealed class Bucket
    {
        public double Tokens;
        public long UpdatedAt;
    }

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly double _perTick = ratePerMinute / (double)TimeSpan.TicksPerMinute;

    /// <summary>Takes one token for <paramref name="identityId"/>; when none is left, how long until one is.</summary>
    public bool TryTake(string identityId, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow().UtcTicks;
        var bucket = _buckets.GetOrAdd(identityId, _ => new Bucket { Tokens = burst, UpdatedAt = now });
        bool taken;
        lock (bucket)
        {
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (Math.Max(0, now - bucket.UpdatedAt) * _perTick));
            bucket.UpdatedAt = now;
            taken = bucket.Tokens >= 1;
            if (taken) bucket.Tokens -= 1;
            retryAfter = taken ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling((1 - bucket.Tokens) / _perTick));
        }
        // Outside the bucket's lock: the sweep takes other buckets' locks one at a time, never two at once.
        if (taken && _buckets.Count > 100_000) Sweep(now);
        return taken;
    }

    /// <summary>Whether <paramref name="key"/> has a token left (nothing is taken); when not, how long until it has.</summary>
    public bool HasToken(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_buckets.TryGetValue(key, out var bucket)) return true;
        var now = time.GetUtcNow().UtcTicks;
        lock (bucket)
        {
            var tokens = Math.Min(burst, bucket.Tokens + (Math.Max(0, now - bucket.UpdatedAt) * _perTick));
            if (tokens >= 1) return true;
            retryAfter = TimeSpan.FromTicks((long)Math.Ceiling((1 - tokens) / _perTick));
            return false;
        }
    }

    private void Sweep(long now)
    {
        foreach (var (id, bucket) in _buckets)
        {
            lock (bucket)
            {
                if (bucket.Tokens + ((now - bucket.UpdatedAt) * _perTick) >= burst) _buckets.TryRemove(id, out _);
            }
        }
    }
}
