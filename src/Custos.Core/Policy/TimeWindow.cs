using System.Globalization;
using System.Text;

namespace Custos.Core.Policy;

/// <summary>
/// A weekly window in a time zone: <c>{ days: mon-fri, hours: "08:00-20:00", tz: Europe/Berlin }</c>. Hours are
/// local wall-clock time (so the window follows daylight saving time); the end is exclusive. A window whose end is
/// before its start runs overnight: it starts on a listed day and ends the next morning.
/// </summary>
public sealed record TimeWindow
{
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private TimeWindow(int days, TimeSpan start, TimeSpan end, TimeZoneInfo zone)
    {
        DayMask = days;
        Start = start;
        End = end;
        Zone = zone;
    }

    /// <summary>Bit <c>1 &lt;&lt; (int)DayOfWeek</c> set for each listed day.</summary>
    public int DayMask { get; }

    public TimeSpan Start { get; }

    public TimeSpan End { get; }

    public TimeZoneInfo Zone { get; }

    public string Days => FormatDays(DayMask);

    public string Hours => $"{FormatTime(Start)}-{FormatTime(End)}";

    public bool Contains(DateTimeOffset time)
    {
        var local = TimeZoneInfo.ConvertTime(time, Zone);
        var day = (int)local.DayOfWeek;
        var clock = local.TimeOfDay;
        if (Start < End)
            return HasDay(day) && clock >= Start && clock < End;
        return (HasDay(day) && clock >= Start) || (HasDay((day + 6) % 7) && clock < End);
    }

    private bool HasDay(int day) => (DayMask & (1 << day)) != 0;

    public static bool TryCreate(string days, string hours, string? tz, out TimeWindow window, out string? error)
    {
        ArgumentNullException.ThrowIfNull(days);
        ArgumentNullException.ThrowIfNull(hours);
        window = null!;
        if (!TryParseDays(days, out var mask))
        {
            error = $"invalid days '{days}' (use mon-fri, sat,sun or *)";
            return false;
        }
        var dash = hours.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || !TryParseTime(hours[..dash], false, out var start) || !TryParseTime(hours[(dash + 1)..], true, out var end))
        {
            error = $"invalid hours '{hours}' (use HH:MM-HH:MM)";
            return false;
        }
        if (start == end)
        {
            error = $"empty hours '{hours}'";
            return false;
        }
        TimeZoneInfo zone;
        try
        {
            zone = tz is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(tz);
        }
        catch (TimeZoneNotFoundException)
        {
            error = $"unknown time zone '{tz}' (use an IANA name such as Europe/Berlin)";
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            error = $"invalid time zone '{tz}'";
            return false;
        }
        error = null;
        window = new TimeWindow(mask, start, end, zone);
        return true;
    }

    private static bool TryParseDays(string text, out int mask)
    {
        mask = 0;
        if (text is "*" or "daily")
        {
            mask = 0x7F;
            return true;
        }
        foreach (var item in text.Split(','))
        {
            var part = item.Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                var d = Array.IndexOf(DayNames, part);
                if (d < 0)
                    return false;
                mask |= 1 << d;
                continue;
            }
            var from = Array.IndexOf(DayNames, part[..dash].Trim());
            var to = Array.IndexOf(DayNames, part[(dash + 1)..].Trim());
            if (from < 0 || to < 0)
                return false;
            // Ranges run forward through the week and may wrap (fri-mon).
            for (var d = from; ; d = (d + 1) % 7)
            {
                mask |= 1 << d;
                if (d == to)
                    break;
            }
        }
        return mask != 0;
    }

    private static bool TryParseTime(string text, bool allow24, out TimeSpan time)
    {
        time = default;
        text = text.Trim();
        if (text.Length != 5 || text[2] != ':'
            || !int.TryParse(text.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !int.TryParse(text.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m))
            return false;
        if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow24)))
            return false;
        time = new TimeSpan(h, m, 0);
        return true;
    }

    private static string FormatTime(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}");

    /// <summary>Canonical day list: Monday first, runs of three or more days as ranges (<c>mon-fri,sun</c>).</summary>
    private static string FormatDays(int mask)
    {
        if (mask == 0x7F)
            return "*";
        int[] order = [1, 2, 3, 4, 5, 6, 0];
        var text = new StringBuilder();
        for (var i = 0; i < 7;)
        {
            if ((mask & (1 << order[i])) == 0)
            {
                i++;
                continue;
            }
            var j = i;
            while (j + 1 < 7 && (mask & (1 << order[j + 1])) != 0)
                j++;
            if (text.Length > 0)
                text.Append(',');
            if (j - i >= 2)
                text.Append(DayNames[order[i]]).Append('-').Append(DayNames[order[j]]);
            else
                text.AppendJoin(',', order[i..(j + 1)].Select(d => DayNames[d]));
            i = j + 1;
        }
        return text.ToString();
    }
}
