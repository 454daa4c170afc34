using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Custos.Server.Policy;

/// <summary>A line diff of two canonical role documents, unified-diff style: <c>-</c> removed, <c>+</c> added, two spaces kept.</summary>
public static class RoleDiff
{
    public static string Of(string before, string after)
    {
        if (before == after)
            return "";
        var model = InlineDiffBuilder.Diff(before, after, ignoreWhiteSpace: false, ignoreCase: false);
        var text = new StringBuilder();
        foreach (var line in model.Lines)
        {
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
