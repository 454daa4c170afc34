namespace Custos.Core;

/// <summary>
/// Stored times have microsecond precision (both engines keep integer microseconds): a time truncated here reads back
/// from the database equal to what was written.
/// </summary>
public static class StoredTime
{
    public static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Now, truncated to microseconds.</summary>
    public static DateTimeOffset GetUtcNowMicroseconds(this TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return Truncate(time.GetUtcNow());
    }
}
