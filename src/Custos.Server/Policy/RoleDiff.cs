using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Custos.Server.Policy;

/// <summary>
/// A full line diff of two canonical role documents (they are short, so every line is shown): <c>- </c> removed,
/// <c>+ </c> added, two spaces kept. Empty when the documents are equal.
/// </summary>
public static class RoleDiff
{
    public static string Of(string before, string after)
    {
        if (before == after)
            return "";
        // Canonical documents end with a newline; without trimming it the diff would end with an empty line.
        var model = InlineDiffBuilder.Diff(before.TrimEnd('\n'), after.TrimEnd('\n'), ignoreWhiteSpace: false, ignoreCase: false);
        var text = new StringBuilder();
        foreach (var line in model.Lines)
        {
            if (line.Type == ChangeType.Imaginary) continue;
            text.Append(line.Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            }).Append(line.Text).Append('\n');
        }
        return text.ToString();
    }
}
