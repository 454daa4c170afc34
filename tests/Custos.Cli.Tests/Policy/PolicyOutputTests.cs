using Custos.Cli.Policy;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Tests.Policy;

/// <summary>How policy answers read in text: decisions, conditions, and standing access before access by request.</summary>
public sealed class PolicyOutputTests
{
    private static readonly ConditionsDto NoConditions = new("none", [], []);
    private static readonly ConditionsDto Strict = new("per_session", ["10.0.0.0/8"], ["mon-fri 08:00-20:00 Europe/Berlin"]);

    [Fact]
    public void Conditions_read_as_one_phrase_and_rules_without_any_as_a_dash()
    {
        Assert.Equal("mfa per_session; from 10.0.0.0/8; at mon-fri 08:00-20:00 Europe/Berlin", PolicyFormats.Conditions(Strict));
        Assert.Equal("none", PolicyFormats.Conditions(NoConditions));
        Assert.Equal("-", PolicyFormats.Conditions([NoConditions, NoConditions]));
        Assert.Equal("none | mfa per_session; from 10.0.0.0/8; at mon-fri 08:00-20:00 Europe/Berlin", PolicyFormats.Conditions([NoConditions, Strict, Strict]));
    }

    [Fact]
    public void An_allow_shows_its_obligations_and_rules()
    {
        var answer = new AccessCheckResponse("alice", "ssh.session", "web-1", "allow", false, [],
            new ObligationsDto("1h", "per_session", true, false, "10m"),
            new ExplanationDto("allowed", "allowed by developer/allow[1]", [new RuleRefDto("developer", "allow[1]")], null), "2025-06-02T09:30:00Z");
        var output = new StringWriter();
        PolicyFormats.WriteDecision(output, answer);
        var text = output.ToString();
        Assert.Matches(@"(?m)^decision:\s+allow$", text);
        Assert.Matches(@"(?m)^obligations:\s+max ttl 1h; mfa per_session; recording required; idle timeout 10m$", text);
        Assert.Matches(@"(?m)^rules:\s+developer/allow\[1\]$", text);
        Assert.DoesNotContain("requestable", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deny_says_whether_a_request_could_allow_it_and_the_unmet_condition()
    {
        var answer = new AccessCheckResponse("alice", "db.connect", "pg-prod", "deny", true, ["dba"], null,
            new ExplanationDto("requestable", "requires an approved request for role dba", [], "mfa"), "2025-06-02T09:30:00Z");
        var output = new StringWriter();
        PolicyFormats.WriteDecision(output, answer);
        var text = output.ToString();
        Assert.Matches(@"(?m)^decision:\s+deny$", text);
        Assert.Matches(@"(?m)^requestable:\s+yes, by requesting dba$", text);
        Assert.Matches(@"(?m)^explanation:\s+requires an approved request for role dba$", text);
        Assert.Matches(@"(?m)^condition:\s+mfa$", text);
        Assert.DoesNotContain("obligations", text, StringComparison.Ordinal);
    }

    [Fact]
    public void What_can_lists_standing_resources_before_requestable_ones_with_logins_or_database_targets()
    {
        var answer = new WhatCanResponse("alice", ["developer"], ["dba"],
        [
            Reachable("pg-prod", "database", "request", dbUsers: ["app_admin"], dbNames: ["*"], role: "dba"),
            Reachable("web-2", "ssh_node", "standing", logins: ["alice", "deploy"]),
            Reachable("web-1", "ssh_node", "standing", logins: ["alice"]),
        ], [], []);
        var output = new StringWriter();
        PolicyFormats.WriteWhatCan(output, answer);
        var lines = output.ToString().Split('\n');
        var table = lines.SkipWhile(l => !l.StartsWith("RESOURCE", StringComparison.Ordinal)).ToList();
        Assert.Matches(@"^RESOURCE\s+KIND\s+MODE\s+ACTIONS\s+LOGINS\s+ROLES$", table[0]);
        Assert.StartsWith("web-1 ", table[1], StringComparison.Ordinal);
        Assert.StartsWith("web-2 ", table[2], StringComparison.Ordinal);
        Assert.Matches(@"^pg-prod\s+database\s+request\s+db.connect\s+users app_admin; dbs \*\s+dba$", table[3]);
        Assert.Matches(@"(?m)^requestable roles:\s+dba$", output.ToString());
    }

    [Fact]
    public void Custos_ls_separates_what_is_reachable_now_from_what_needs_a_request()
    {
        var answer = new WhatCanResponse("alice", ["developer"], ["dba"],
        [
            Reachable("pg-prod", "database", "request", dbUsers: ["app_admin"], role: "dba"),
            Reachable("web-1", "ssh_node", "standing", logins: ["alice"], conditions: [Strict]),
        ], [], []);
        var output = new StringWriter();
        ReachableCommand.Write(output, answer);
        var text = output.ToString();
        var now = text.IndexOf("Reachable now", StringComparison.Ordinal);
        var request = text.IndexOf("Needs an approved request", StringComparison.Ordinal);
        Assert.True(now >= 0 && request > now, text);
        Assert.True(text.IndexOf("web-1", StringComparison.Ordinal) < request, text);
        Assert.True(text.IndexOf("pg-prod", StringComparison.Ordinal) > request, text);
        Assert.Contains("mfa per_session; from 10.0.0.0/8", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Custos_ls_with_nothing_reachable_says_so()
    {
        var output = new StringWriter();
        ReachableCommand.Write(output, new WhatCanResponse("bob", [], [], [], [], []));
        Assert.Equal("Nothing is reachable for bob, now or by request." + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Who_can_lists_roles_and_identities()
    {
        var answer = new WhoCanResponse("ssh.session", "web-1",
            [new RoleAccessDto("developer", "standing", [new RuleRefDto("developer", "allow")], [NoConditions], true)],
            [new SubjectAccessDto("id1", "alice", "user", "standing", ["developer"], [NoConditions], ["alice"])]);
        var output = new StringWriter();
        PolicyFormats.WriteWhoCan(output, answer);
        var text = output.ToString();
        Assert.Matches(@"(?m)^developer\s+standing\s+developer/allow\s+-\s+yes$", text);
        Assert.Matches(@"(?m)^alice\s+user\s+standing\s+developer\s+alice\s+-$", text);
    }

    [Fact]
    public void Lint_findings_name_their_code_and_path()
    {
        Assert.Equal("warning POL005 at allow: the action wildcard '*'", RoleCommands.Describe(new LintFindingDto("POL005", "allow", "the action wildcard '*'", "warning")));
        Assert.Equal("notice POL006: x", RoleCommands.Describe(new LintFindingDto("POL006", "", "x", "notice")));
    }

    private static ReachableResourceDto Reachable(string name, string kind, string mode, IReadOnlyList<string>? logins = null,
        IReadOnlyList<string>? dbUsers = null, IReadOnlyList<string>? dbNames = null, string role = "developer", IReadOnlyList<ConditionsDto>? conditions = null) =>
        new(name, kind, mode, kind == "database" ? ["db.connect"] : ["ssh.session"], logins ?? [], dbUsers ?? [], dbNames ?? [], [role], conditions ?? [NoConditions]);
}
