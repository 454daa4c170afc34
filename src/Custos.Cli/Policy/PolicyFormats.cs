using Custos.Cli.Identity;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary>Plain-text rendering of policy answers: conditions, obligations, decisions and reachable resources.</summary>
public static class PolicyFormats
{
    public const string Standing = "standing";
    public const string Request = "request";

    /// <summary>"mfa per_session; from 10.0.0.0/8; at mon-fri 08:00-20:00 Europe/Berlin", or "none".</summary>
    public static string Conditions(ConditionsDto conditions)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(conditions.Mfa) && conditions.Mfa != "none") parts.Add("mfa " + conditions.Mfa);
        if (conditions.SourceNetworks.Count > 0) parts.Add("from " + string.Join(", ", conditions.SourceNetworks));
        if (conditions.TimeWindows.Count > 0) parts.Add("at " + string.Join(", ", conditions.TimeWindows));
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }

    /// <summary>The conditions of several rules (any one of them suffices), or "-" when none has any.</summary>
    public static string Conditions(IReadOnlyList<ConditionsDto>? conditions)
    {
        var distinct = (conditions ?? []).Select(Conditions).Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 0 || distinct.All(c => c == "none") ? "-" : string.Join(" | ", distinct);
    }

    public static string Rules(IReadOnlyList<RuleRefDto>? rules) =>
        rules is null || rules.Count == 0 ? "-" : string.Join(", ", rules.Select(r => $"{r.Role}/{r.Rule}"));

    /// <summary>"max ttl 1h; mfa per_session; recording required; moderated; idle timeout 10m", or "none".</summary>
    public static string Obligations(ObligationsDto obligations)
    {
        var parts = new List<string>();
        if (obligations.MaxTtl is { } ttl) parts.Add("max ttl " + ttl);
        if (!string.IsNullOrEmpty(obligations.Mfa) && obligations.Mfa != "none") parts.Add("mfa " + obligations.Mfa);
        if (obligations.Recording) parts.Add("recording required");
        if (obligations.Moderated) parts.Add("moderated");
        if (obligations.IdleTimeout is { } idle) parts.Add("idle timeout " + idle);
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }

    /// <summary>The answer of <c>custos access check</c> as aligned fields.</summary>
    public static void WriteDecision(TextWriter output, AccessCheckResponse answer)
    {
        var fields = new List<(string, string)>
        {
            ("decision", answer.Decision),
            ("user", answer.User),
            ("action", answer.Action),
            ("resource", answer.Resource ?? "-"),
            ("at", answer.At),
        };
        if (answer.Obligations is { } obligations) fields.Add(("obligations", Obligations(obligations)));
        if (answer.Decision != "allow")
            fields.Add(("requestable", answer.Requestable ? "yes, by requesting " + Formats.List(answer.RequestableRoles) : "no"));
        fields.Add(("reason", answer.Explanation.Reason));
        fields.Add(("explanation", answer.Explanation.Message));
        fields.Add(("rules", Rules(answer.Explanation.Rules)));
        if (answer.Explanation.Condition is { } condition) fields.Add(("condition", condition));
        Formats.WriteFields(output, fields);
    }

    /// <summary>Standing access first, then access that needs a request; by name within each.</summary>
    public static IReadOnlyList<ReachableResourceDto> Ordered(IEnumerable<ReachableResourceDto> resources) =>
        resources.OrderBy(r => r.Mode == Standing ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();

    /// <summary>Logins for SSH nodes; database users and names for databases; "-" when there are none.</summary>
    public static string Targets(ReachableResourceDto resource)
    {
        if (resource.DbUsers.Count == 0 && resource.DbNames.Count == 0) return Formats.List(resource.Logins);
        var parts = new List<string>();
        if (resource.Logins.Count > 0) parts.Add(string.Join(", ", resource.Logins));
        if (resource.DbUsers.Count > 0) parts.Add("users " + string.Join(", ", resource.DbUsers));
        if (resource.DbNames.Count > 0) parts.Add("dbs " + string.Join(", ", resource.DbNames));
        return string.Join("; ", parts);
    }

    /// <summary>The table of <c>custos access what-can</c>: resource, kind, mode, actions, logins, roles.</summary>
    public static void WriteReachable(TextWriter output, IReadOnlyList<ReachableResourceDto> resources) =>
        Formats.WriteTable(output, ["RESOURCE", "KIND", "MODE", "ACTIONS", "LOGINS", "ROLES"],
            Ordered(resources).Select(r => (IReadOnlyList<string>)[r.Name, r.Kind, r.Mode, Formats.List(r.Actions), Targets(r), Formats.List(r.Roles)]).ToList());

    public static void WriteWhatCan(TextWriter output, WhatCanResponse answer)
    {
        Formats.WriteFields(output,
        [
            ("user", answer.User),
            ("standing roles", Formats.List(answer.StandingRoles)),
            ("requestable roles", Formats.List(answer.RequestableRoles)),
            ("admin actions now", Formats.List(answer.StandingAdminActions)),
            ("admin actions by request", Formats.List(answer.RequestableAdminActions)),
        ]);
        output.WriteLine();
        if (answer.Resources.Count == 0) output.WriteLine("No resource is reachable, now or by request.");
        else WriteReachable(output, answer.Resources);
    }

    public static void WriteWhoCan(TextWriter output, WhoCanResponse answer)
    {
        Formats.WriteFields(output, [("action", answer.Action), ("resource", answer.Resource ?? "-")]);
        output.WriteLine();
        if (answer.Roles.Count == 0)
        {
            output.WriteLine("No role allows it.");
        }
        else
        {
            Formats.WriteTable(output, ["ROLE", "MODE", "RULES", "CONDITIONS", "DEPENDS ON TRAITS"],
                answer.Roles.OrderBy(r => r.Mode == Standing ? 0 : 1).ThenBy(r => r.Role, StringComparer.Ordinal)
                    .Select(r => (IReadOnlyList<string>)[r.Role, r.Mode, Rules(r.Rules), Conditions(r.Conditions), r.DependsOnTraits ? "yes" : "no"]).ToList());
        }
        output.WriteLine();
        if (answer.Subjects.Count == 0)
        {
            output.WriteLine("No identity can, now or by request.");
            return;
        }
        Formats.WriteTable(output, ["IDENTITY", "KIND", "MODE", "ROLES", "LOGINS", "CONDITIONS"],
            answer.Subjects.OrderBy(s => s.Mode == Standing ? 0 : 1).ThenBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => (IReadOnlyList<string>)[s.Name, s.Kind, s.Mode, Formats.List(s.Roles), Formats.List(s.Logins), Conditions(s.Conditions)]).ToList());
    }
}
