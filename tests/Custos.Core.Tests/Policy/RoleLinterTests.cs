using Custos.Core.Policy;

namespace Custos.Core.Tests.Policy;

public class RoleLinterTests
{
    private static IEnumerable<string> Codes(string yaml) => RoleLinter.Lint(RoleParser.Parse(yaml)).Select(f => f.Code);

    [Fact]
    public void Root_on_every_node_is_flagged()
    {
        var findings = RoleLinter.Lint(RoleParser.Parse("kind: role\nname: r\nallow: { resources: [{ kind: ssh_node }], actions: [ssh.session], logins: [root] }\n"));
        Assert.Contains(findings, f => f.Code == "POL001" && f.Path == "allow.logins");
        Assert.Contains("POL001", Codes("kind: role\nname: r\nallow: { resources: [{ kind: ssh_node, labels: { \"*\": \"*\" } }], actions: [ssh.session], logins: [\"*\"] }\n"));
        Assert.DoesNotContain("POL001", Codes("kind: role\nname: r\nallow: { resources: [{ kind: ssh_node, labels: { env: dev } }], actions: [ssh.session], logins: [root] }\n"));
    }

    [Fact]
    public void Production_without_mfa_or_recording_is_flagged()
    {
        const string prod = "kind: role\nname: r\nallow: { resources: [{ kind: database, labels: { env: prod } }], actions: [db.connect], db_users: [a], db_names: [b] }\n";
        Assert.Contains("POL002", Codes(prod));
        Assert.Contains("POL003", Codes(prod));
        Assert.Contains("POL002", Codes(prod.Replace("env: prod", "env: \"pr*\"", StringComparison.Ordinal)));
        Assert.DoesNotContain("POL002", Codes(prod.Replace("env: prod", "env: \"!/prod.*/\"", StringComparison.Ordinal)));
        var safe = prod.Replace("db_names: [b] }", "db_names: [b], conditions: { mfa: per_session }, session: { recording: required } }", StringComparison.Ordinal);
        Assert.Empty(Codes(safe));
        Assert.Empty(RoleLinter.Lint(RoleParser.Parse(RoleSamples.Dba)));
    }

    [Fact]
    public void Standing_admin_writes_and_the_action_wildcard_are_flagged()
    {
        Assert.Contains("POL004", Codes("kind: role\nname: r\nallow: { actions: [users.write] }\n"));
        Assert.DoesNotContain("POL004", Codes("kind: role\nname: r\nallow: { actions: [users.write] }\nrequires_request: true\n"));
        Assert.Empty(Codes(RoleSamples.Auditor));
        Assert.Contains("POL005", Codes("kind: role\nname: r\nallow: { resources: [{ kind: app, labels: { env: dev } }], actions: [\"*\"] }\n"));
    }

    [Fact]
    public void A_selector_without_labels_is_a_notice()
    {
        var finding = Assert.Single(RoleLinter.Lint(RoleParser.Parse("kind: role\nname: r\nallow: { resources: [{ kind: app }], actions: [app.access] }\n")));
        Assert.Equal(("POL006", LintSeverity.Notice), (finding.Code, finding.Severity));
    }
}
