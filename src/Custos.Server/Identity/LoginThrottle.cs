using Custos.Core.Identity;
using Custos.Server.Configuration;

namespace Custos.Server.Identity;

/// <summary>A lockout in force: which key and until when.</summary>
public sealed record Lockout(string Scope, DateTimeOffset Until);

/// <summary>
/// Failed-login throttling with exponential back-off, stored in the database so every instance sees it. Three
/// counters: the user from one source address (<c>user-ip:NAME|IP</c>), the user from anywhere (<c>user:NAME</c>) and
/// the source address for any user (<c>ip:IP</c>). Reaching a threshold locks that key; each consecutive lockout
/// doubles in length up to the maximum. Keys are the normalised name the caller typed, existing or not, so a
/// lockout behaves identically for unknown users. The user-wide lockout does not apply to a source the user logged
/// in from successfully within <c>auth.lockout.known_source_ttl</c>: an attacker elsewhere cannot keep the
/// administrators out (see docs/authentication.md).
/// </summary>
public sealed class LoginThrottle(IIdentityStore store, TimeProvider time, LockoutOptions options)
{
    public static string UserKey(string nameKey) => "user:" + nameKey;

    public static string UserSourceKey(string nameKey, string? ip) => "user-ip:" + nameKey + "|" + (ip ?? "unknown");

    public static string SourceKey(string? ip) => "ip:" + (ip ?? "unknown");

    /// <summary>The lockout that refuses this attempt, or null.</summary>
    public async Task<Lockout?> CheckAsync(string nameKey, string? identityId, string? ip, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await LockedUntilAsync(UserSourceKey(nameKey, ip), now, cancellationToken).ConfigureAwait(false) is { } a) return new Lockout("user-source", a);
        if (await LockedUntilAsync(SourceKey(ip), now, cancellationToken).ConfigureAwait(false) is { } b) return new Lockout("source", b);
        if (await LockedUntilAsync(UserKey(nameKey), now, cancellationToken).ConfigureAwait(false) is { } c
            && !await IsKnownSourceAsync(identityId, ip, now, cancellationToken).ConfigureAwait(false))
            return new Lockout("user", c);
        return null;
    }

    /// <summary>Counts a failure on every key; returns the lockouts this failure started (empty when none).</summary>
    public async Task<IReadOnlyList<Lockout>> RecordFailureAsync(string nameKey, string? ip, CancellationToken cancellationToken)
    {
        var started = new List<Lockout>();
        foreach (var (key, scope, threshold) in new[]
        {
            (UserSourceKey(nameKey, ip), "user-source", options.UserSourceThreshold),
            (UserKey(nameKey), "user", options.UserThreshold),
            (SourceKey(ip), "source", options.SourceThreshold),
        })
        {
            if (await CountAsync(key, threshold, cancellationToken).ConfigureAwait(false) is { } until) started.Add(new Lockout(scope, until));
        }
        return started;
    }

    /// <summary>After a successful login: forget the failures of this user from this source and remember the source.</summary>
    public async Task RecordSuccessAsync(string nameKey, string identityId, string? ip, CancellationToken cancellationToken)
    {
        await store.ClearThrottleAsync(UserSourceKey(nameKey, ip), cancellationToken).ConfigureAwait(false);
        if (ip is not null) await store.RecordKnownSourceAsync(identityId, ip, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An administrator clears every lockout of a user (all sources).</summary>
    public async Task<int> ClearUserAsync(string nameKey, CancellationToken cancellationToken) =>
        await store.ClearThrottleAsync(UserKey(nameKey), cancellationToken).ConfigureAwait(false)
        + await store.ClearThrottleAsync("user-ip:" + nameKey, cancellationToken).ConfigureAwait(false);

    /// <summary>When the user is locked out from everywhere (for listings), or null.</summary>
    public async Task<DateTimeOffset?> UserLockedUntilAsync(string nameKey, CancellationToken cancellationToken) =>
        await LockedUntilAsync(UserKey(nameKey), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);

    private async Task<DateTimeOffset?> LockedUntilAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var record = await store.GetThrottleAsync(key, cancellationToken).ConfigureAwait(false);
        return record?.LockedUntil is { } until && until > now ? until : null;
    }

    private async Task<bool> IsKnownSourceAsync(string? identityId, string? ip, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (identityId is null || ip is null || options.KnownSourceTtl <= TimeSpan.Zero) return false;
        var last = await store.GetKnownSourceAsync(identityId, ip, cancellationToken).ConfigureAwait(false);
        return last is { } at && now - at <= options.KnownSourceTtl;
    }

    private async Task<DateTimeOffset?> CountAsync(string key, int threshold, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var record = await store.GetThrottleAsync(key, cancellationToken).ConfigureAwait(false);
        // Consecutive lockouts are remembered for a while after the window, so back-off keeps growing for a persistent attacker.
        var lockouts = record is not null && now - record.UpdatedAt < options.MaxDuration + options.Window ? record.Lockouts : 0;
        var failures = record is not null && now - record.WindowStart < options.Window ? record.Failures + 1 : 1;
        var windowStart = failures == 1 ? now : record!.WindowStart;
        DateTimeOffset? lockedUntil = record?.LockedUntil is { } existing && existing > now ? existing : null;
        DateTimeOffset? started = null;
        if (lockedUntil is null && failures >= threshold)
        {
            var duration = TimeSpan.FromTicks(Math.Min(options.MaxDuration.Ticks, options.BaseDuration.Ticks * (1L << Math.Min(lockouts, 20))));
            lockedUntil = now + duration;
            started = lockedUntil;
            lockouts++;
            failures = 0;
            windowStart = now;
        }
        await store.PutThrottleAsync(new ThrottleRecord(key, failures, windowStart, lockedUntil, lockouts, now), cancellationToken).ConfigureAwait(false);
        return started;
    }
}
