using System.Text;

namespace Custos.Cli.Identity;

/// <summary>Plain-text rendering shared by the identity commands: lists, field blocks and aligned tables.</summary>
public static class Formats
{
    public static string List(IReadOnlyList<string>? items) => items is null || items.Count == 0 ? "-" : string.Join(", ", items);

    public static string Traits(IReadOnlyDictionary<string, IReadOnlyList<string>>? traits) =>
        traits is null || traits.Count == 0
            ? "-"
            : string.Join(", ", traits.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={string.Join("|", t.Value)}"));

    /// <summary>"name:  value" lines with the values aligned.</summary>
    public static void WriteFields(TextWriter output, IReadOnlyList<(string Name, string Value)> fields)
    {
        var width = fields.Max(f => f.Name.Length) + 2;
        foreach (var (name, value) in fields) output.WriteLine((name + ":").PadRight(width) + value);
    }

    /// <summary>An aligned table with an upper-case header row.</summary>
    public static void WriteTable(TextWriter output, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Row(headers, widths));
        foreach (var row in rows) output.WriteLine(Row(row, widths));
    }

    private static string Row(IReadOnlyList<string> cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) line.Append("  ");
            line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }
        return line.ToString();
    }
}
