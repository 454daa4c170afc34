using System.Globalization;
using System.Text;

namespace Custos.Core.Policy;

/// <summary>
/// The canonical YAML of a role: fixed key order, label keys sorted, every string double-quoted, defaults omitted
/// (except <c>requires_request</c>), lists kept in document order. Equal documents give equal text, so the text can be
/// digested and diffed; it parses back to the same document.
/// </summary>
internal static class RoleCanonicalWriter
{
    public static string Write(RoleDocument role)
    {
        var w = new StringBuilder();
        w.Append("kind: role\n");
        w.Append("name: ").Append(Quote(role.Name)).Append('\n');
        if (role.Description is not null)
            w.Append("description: ").Append(Quote(role.Description)).Append('\n');
        w.Append("requires_request: ").Append(role.RequiresRequest ? "true" : "false").Append('\n');
        if (role.Allow.Count == 0 && role.Deny.Count == 0)
            w.Append("allow: []\n");
        WriteRules(w, "allow", role.Allow);
        WriteRules(w, "deny", role.Deny);
        if (role.Request is { } request)
        {
            w.Append("request:\n");
            w.Append("  requestable_by: ").Append(List(request.RequestableBy)).Append('\n');
            w.Append("  reviewers:\n");
            w.Append("    roles: ").Append(List(request.ReviewerRoles)).Append('\n');
            w.Append("    approvals: ").Append(request.Approvals.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return w.ToString();
    }

    private static void WriteRules(StringBuilder w, string key, IReadOnlyList<RoleRule> rules)
    {
        if (rules.Count == 0)
            return;
        w.Append(key).Append(":\n");
        if (rules.Count == 1)
        {
            WriteRule(w, rules[0], "  ", "  ");
            return;
        }
        foreach (var rule in rules)
            WriteRule(w, rule, "  - ", "    ");
    }

    private static void WriteRule(StringBuilder w, RoleRule rule, string first, string indent)
    {
        var prefix = first;
        void Key(string name)
        {
            w.Append(prefix).Append(name).Append(':');
            prefix = indent;
        }
        if (rule.Resources.Count > 0)
        {
            Key("resources");
            w.Append('\n');
            foreach (var selector in rule.Resources)
            {
                w.Append(indent).Append("  - kind: ").Append(selector.Kind is { } k ? k.ToName() : Quote("*")).Append('\n');
                if (selector.Labels.Count == 0)
                    continue;
                w.Append(indent).Append("    labels:\n");
                foreach (var label in selector.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
                    w.Append(indent).Append("      ").Append(Quote(label.Key)).Append(": ").Append(List(label.Values.Select(v => v.Raw))).Append('\n');
            }
        }
        Key("actions");
        w.Append(' ').Append(List(rule.Actions)).Append('\n');
        if (rule.Logins.Count > 0)
        {
            Key("logins");
            w.Append(' ').Append(List(rule.Logins.Select(l => l.Raw))).Append('\n');
        }
        if (rule.DbUsers.Count > 0)
        {
            Key("db_users");
            w.Append(' ').Append(List(rule.DbUsers.Select(l => l.Raw))).Append('\n');
        }
        if (rule.DbNames.Count > 0)
        {
            Key("db_names");
            w.Append(' ').Append(List(rule.DbNames.Select(l => l.Raw))).Append('\n');
        }
        var c = rule.Conditions;
        if (!c.IsEmpty)
        {
            Key("conditions");
            w.Append('\n');
            if (c.Mfa != MfaLevel.None)
                w.Append(indent).Append("  mfa: ").Append(c.Mfa.ToName()).Append('\n');
            if (c.SourceNetworks.Count > 0)
                w.Append(indent).Append("  source_networks: ").Append(List(c.SourceNetworks.Select(n => n.ToString()))).Append('\n');
            if (c.TimeWindows.Count > 0)
            {
                w.Append(indent).Append("  time_windows:\n");
                foreach (var window in c.TimeWindows)
                {
                    w.Append(indent).Append("    - { days: ").Append(Quote(window.Days))
                        .Append(", hours: ").Append(Quote(window.Hours))
                        .Append(", tz: ").Append(Quote(window.Zone.Id)).Append(" }\n");
                }
            }
        }
        var s = rule.Session;
        if (s != SessionSettings.None)
        {
            Key("session");
            w.Append('\n');
            if (s.MaxTtl is { } ttl)
                w.Append(indent).Append("  max_ttl: ").Append(Durations.Format(ttl)).Append('\n');
            if (s.RecordingRequired)
                w.Append(indent).Append("  recording: required\n");
            if (s.Moderated)
                w.Append(indent).Append("  moderated: true\n");
            if (s.IdleTimeout is { } idle)
                w.Append(indent).Append("  idle_timeout: ").Append(Durations.Format(idle)).Append('\n');
        }
    }

    private static string List(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Quote)) + "]";

    /// <summary>A YAML double-quoted scalar; only <c>"</c>, <c>\</c> and control characters are escaped.</summary>
    internal static string Quote(string value)
    {
        var w = new StringBuilder(value.Length + 2).Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': w.Append("\\\""); break;
                case '\\': w.Append("\\\\"); break;
                case '\n': w.Append("\\n"); break;
                case '\t': w.Append("\\t"); break;
                default:
                    if (char.IsControl(ch) || ch is '\u2028' or '\u2029' or '\u0085' or '\uFEFF')
                        w.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        w.Append(ch);
                    break;
            }
        }
        return w.Append('"').ToString();
    }
}
