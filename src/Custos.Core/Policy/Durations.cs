using System.Globalization;
using System.Text;

namespace Custos.Core.Policy;

/// <summary>Durations in role documents: <c>2h</c>, <c>15m</c>, <c>1h30m</c>, <c>45s</c>, <c>7d</c>.</summary>
public static class Durations
{
    public static readonly TimeSpan Max = TimeSpan.FromDays(366);

    public static bool TryParse(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = TimeSpan.Zero;
        if (text.Length is 0 or > 32)
            return false;
        long seconds = 0;
        var i = 0;
        var lastUnit = int.MaxValue;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
                i++;
            if (i == start || i == text.Length || i - start > 9)
                return false;
            var value = long.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            var unit = text[i] switch { 'd' => 86400, 'h' => 3600, 'm' => 60, 's' => 1, _ => 0 };
            // Units appear at most once each, largest first (1h30m, not 30m1h).
            if (unit == 0 || unit >= lastUnit)
                return false;
            lastUnit = unit;
            seconds += value * unit;
            i++;
        }
        if (seconds <= 0 || seconds > Max.TotalSeconds)
            return false;
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static string Format(TimeSpan duration)
    {
        var seconds = (long)duration.TotalSeconds;
        var text = new StringBuilder();
        foreach (var (unit, suffix) in new[] { (86400L, 'd'), (3600L, 'h'), (60L, 'm'), (1L, 's') })
        {
            if (seconds >= unit)
            {
                text.Append((seconds / unit).ToString(CultureInfo.InvariantCulture)).Append(suffix);
                seconds %= unit;
            }
        }
        return text.Length == 0 ? "0s" : text.ToString();
    }
}
