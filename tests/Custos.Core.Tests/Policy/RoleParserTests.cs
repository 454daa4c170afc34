using Custos.Core.Policy;

namespace Custos.Core.Tests.Policy;

public class RoleParserTests
{
    [Fact]
    public void The_normative_sample_parses_into_its_parts()
    {
        var role = RoleParser.Parse(RoleSamples.Dba);
        Assert.Equal("dba", role.Name);
        Assert.True(role.RequiresRequest);
        var allow = Assert.Single(role.Allow);
        var selector = Assert.Single(allow.Resources);
        Assert.Equal(ResourceKind.Database, selector.Kind);
        Assert.Equal(["env", "team"], selector.Labels.Select(l => l.Key));
        Assert.Equal(["prod", "staging"], selector.Labels[0].Values.Select(v => v.Raw));
        Assert.True(selector.Labels[1].Values[0].HasTemplate);
        Assert.Equal(["db.connect", "db.query.read", "db.query.write"], allow.Actions);
        Assert.Equal(MfaLevel.PerSession, allow.Conditions.Mfa);
        Assert.Equal("10.0.0.0/8", Assert.Single(allow.Conditions.SourceNetworks).ToString());
        var window = Assert.Single(allow.Conditions.TimeWindows);
        Assert.Equal(("mon-fri", "08:00-20:00", "Europe/Berlin"), (window.Days, window.Hours, window.Zone.Id));
        Assert.Equal(new SessionSettings(TimeSpan.FromHours(2), true, false, TimeSpan.FromMinutes(15)), allow.Session);
        Assert.Equal(["db.query.ddl"], Assert.Single(role.Deny).Actions);
        Assert.Equal(["dba-requester"], role.Request!.RequestableBy);
        Assert.Equal(["dba-lead"], role.Request.ReviewerRoles);
        Assert.Equal(2, role.Request.Approvals);
    }

    [Fact]
    public void Every_sample_parses_and_its_canonical_form_is_stable()
    {
        foreach (var sample in RoleSamples.All)
        {
            var canonical = RoleParser.Parse(sample).ToCanonicalYaml();
            Assert.Equal(canonical, RoleParser.Parse(canonical).ToCanonicalYaml());
        }
    }

    [Theory]
    [InlineData("kind: role\nname: x\nallow:\n  resources:\n    - kind: database\n      labels:\n        env: { a: b }\n  actions: [db.connect]\n", "allow.resources[0].labels.env", 7, "expected string or list")]
    [InlineData("kind: role\nname: x\nallow:\n  actions: [db.connect]\n", "allow.resources", 4, "required when the rule names")]
    [InlineData("kind: role\nname: x\nallow:\n  actions: [ssh.shell]\n", "allow.actions[0]", 4, "unknown action 'ssh.shell'")]
    [InlineData("kind: role\nname: x\nallow:\n  actions: [users.read]\n  colour: blue\n", "allow.colour", 5, "unknown key")]
    [InlineData("kind: policy\nname: x\nallow: { actions: [users.read] }\n", "kind", 1, "expected 'role'")]
    [InlineData("kind: role\nname: Bad Name\nallow: { actions: [users.read] }\n", "name", 2, "expected a role name")]
    [InlineData("kind: role\nallow: { actions: [users.read] }\n", "name", 1, "required")]
    [InlineData("kind: role\nname: x\n", "", 1, "needs an 'allow' or a 'deny'")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { max_ttl: 2 hours } }\n", "allow.session.max_ttl", 3, "expected a duration")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { idle_timeout: 0m } }\n", "allow.session.idle_timeout", 3, "expected a duration")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { recording: sometimes } }\n", "allow.session.recording", 3, "expected required or optional")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], session: { moderated: maybe } }\n", "allow.session.moderated", 3, "expected true or false")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { mfa: always } }\n", "allow.conditions.mfa", 3, "expected none, login or per_session")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { source_networks: [10.0.0.0/33] } }\n", "allow.conditions.source_networks[0]", 3, "expected a CIDR network")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { time_windows: [{ days: mon-fry, hours: \"08:00-20:00\" }] } }\n", "allow.conditions.time_windows[0]", 3, "invalid days")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { time_windows: [{ days: mon, hours: \"8-20\" }] } }\n", "allow.conditions.time_windows[0]", 3, "invalid hours")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { time_windows: [{ days: mon, hours: \"08:00-20:00\", tz: Mars/Olympus }] } }\n", "allow.conditions.time_windows[0]", 3, "unknown time zone")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], conditions: { time_windows: [{ hours: \"08:00-20:00\" }] } }\n", "allow.conditions.time_windows[0].days", 3, "required")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: printer }], actions: [ssh.session] }\n", "allow.resources[0].kind", 3, "unknown resource kind")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { env: \"/(a/\" } }], actions: [db.connect] }\n", "allow.resources[0].labels.env", 3, "invalid regular expression")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { env: \"/(?<=a)b/\" } }], actions: [db.connect] }\n", "allow.resources[0].labels.env", 3, "not supported by the non-backtracking engine")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { env: \"!\" } }], actions: [db.connect] }\n", "allow.resources[0].labels.env", 3, "'!' must be followed")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { team: \"{{user.trait.team}}\" } }], actions: [db.connect] }\n", "allow.resources[0].labels.team", 3, "unknown template variable")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { team: \"{{user.name\" } }], actions: [db.connect] }\n", "allow.resources[0].labels.team", 3, "unterminated template")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { \"bad key\": a } }], actions: [db.connect] }\n", "allow.resources[0].labels.bad key", 3, "invalid label key")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { \"*\": prod } }], actions: [db.connect] }\n", "allow.resources[0].labels.*", 3, "only takes the value '*'")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { env: [] } }], actions: [db.connect] }\n", "allow.resources[0].labels.env", 3, "at least one value")]
    [InlineData("kind: role\nname: x\nallow: { resources: { kind: database }, actions: [db.connect] }\n", "allow.resources", 3, "expected a list of resource selectors")]
    [InlineData("kind: role\nname: x\nallow: { actions: [] }\n", "allow.actions", 3, "at least one action")]
    [InlineData("kind: role\nname: x\ndeny: { actions: [users.write], conditions: { mfa: login } }\n", "deny.conditions", 3, "unknown key")]
    [InlineData("kind: role\nname: x\nallow: [{ actions: [users.read] }, 42]\n", "allow[1]", 3, "expected a rule")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\nrequires_request: yes\n", "requires_request", 4, "expected true or false")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\nrequest: { reviewers: { approvals: 0 } }\n", "request.reviewers.approvals", 4, "whole number from 1 to 16")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\nrequest: { requestable_by: [Not Valid] }\n", "request.requestable_by[0]", 4, "invalid role name")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read], logins: [\"{{user.nam}}\"] }\n", "allow.logins[0]", 3, "unknown template variable")]
    [InlineData("kind: role\nname: x\nname: y\nallow: { actions: [users.read] }\n", "", 3, "duplicate key 'name'")]
    [InlineData("kind: role\nname: x\nallow: &rule { actions: [users.read] }\ndeny: *rule\n", "", 3, "anchors are not allowed")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\ndeny: *rule\n", "", 4, "aliases are not allowed")]
    [InlineData("kind: role\nname: x\nallow: { resources: [{ kind: database, labels: { env: !prod } }], actions: [db.connect] }\n", "", 3, "tags are not allowed")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read] }\n---\nkind: role\n", "", 4, "only one document")]
    [InlineData("- a\n- b\n", "", 1, "expected a mapping")]
    [InlineData("", "", 1, "empty document")]
    [InlineData("kind: role\nname: x\nallow: { actions: [users.read\n", "", 4, "invalid YAML")]
    public void Invalid_documents_are_refused_with_path_and_line(string yaml, string path, int line, string message)
    {
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
        Assert.Contains(e.Errors, error => error.Path == path && error.Line == line && error.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void The_error_text_names_path_and_line()
    {
        const string yaml = "kind: role\nname: x\nallow:\n  resources:\n    - kind: database\n      labels:\n        env: { a: b }\n  actions: [db.connect]\n";
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
        Assert.Equal("allow.resources[0].labels.env: expected string or list (line 7)", e.Errors[0].ToString());
    }

    [Fact]
    public void Every_error_of_a_document_is_reported()
    {
        const string yaml = "kind: role\nname: x\nallow: { actions: [nope], colour: red, session: { max_ttl: forever } }\n";
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
        Assert.Equal(["allow.actions[0]", "allow.colour", "allow.session.max_ttl"], e.Errors.Select(x => x.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Documents_larger_than_64_KiB_are_refused()
    {
        var yaml = "kind: role\nname: x\ndescription: \"" + new string('a', 70_000) + "\"\nallow: { actions: [users.read] }\n";
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
        Assert.Contains("larger than 64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_and_long_lists_are_refused()
    {
        var deep = "kind: role\nname: x\ndescription: " + new string('[', 40) + new string(']', 40) + "\n";
        Assert.Contains("nested deeper", Assert.Throws<RoleValidationException>(() => RoleParser.Parse(deep)).Message, StringComparison.Ordinal);
        var longList = "kind: role\nname: x\nallow: { actions: [users.read], logins: [" + string.Join(",", Enumerable.Range(0, 300).Select(i => $"u{i}")) + "] }\n";
        Assert.Contains("longer than 256 items", Assert.Throws<RoleValidationException>(() => RoleParser.Parse(longList)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_billion_laughs_document_is_refused_at_the_first_anchor()
    {
        const string yaml = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse(yaml));
        Assert.Contains("anchors are not allowed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ssh.*", new[] { "ssh.session", "ssh.exec", "ssh.port_forward", "ssh.file_transfer" })]
    [InlineData("db.query.*", new[] { "db.query.read", "db.query.write", "db.query.ddl" })]
    [InlineData("users.*", new[] { "users.read", "users.write" })]
    public void Action_wildcards_expand_to_known_actions(string pattern, string[] expected)
    {
        Assert.Equal(expected, PolicyActions.Expand(pattern));
        Assert.Equal(PolicyActions.All.Count, PolicyActions.Expand("*").Count);
        Assert.Empty(PolicyActions.Expand("nothing.*"));
    }

    [Theory]
    [InlineData("2h", 7200)]
    [InlineData("15m", 900)]
    [InlineData("1h30m", 5400)]
    [InlineData("7d", 604800)]
    [InlineData("45s", 45)]
    public void Durations_parse_and_format_canonically(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
        Assert.Equal(text, Durations.Format(d));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("h")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("0s")]
    [InlineData("400d")]
    [InlineData("-1h")]
    public void Invalid_durations_are_refused(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void An_explicit_empty_allow_is_a_role_that_grants_nothing_and_round_trips()
    {
        var role = RoleParser.Parse("kind: role\nname: user\nallow: []\n");
        Assert.Empty(role.Allow);
        Assert.Empty(role.Deny);
        Assert.Equal(role.ToCanonicalYaml(), RoleParser.Parse(role.ToCanonicalYaml()).ToCanonicalYaml());
        Assert.Contains("allow: []", role.ToCanonicalYaml(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_revision_line_is_read_but_not_part_of_the_canonical_document()
    {
        var role = RoleParser.Parse("kind: role\nname: x\nrevision: 7\nallow: { actions: [users.read] }\n");
        Assert.Equal(7, role.Revision);
        Assert.DoesNotContain("revision", role.ToCanonicalYaml(), StringComparison.Ordinal);
        var e = Assert.Throws<RoleValidationException>(() => RoleParser.Parse("kind: role\nname: x\nrevision: -1\nallow: { actions: [users.read] }\n"));
        Assert.Equal(("revision", 3), (e.Errors[0].Path, e.Errors[0].Line));
    }

    [Fact]
    public void The_built_in_roles_parse_and_the_admin_role_administers_without_resource_access()
    {
        Assert.Equal(["admin", "auditor", "user"], BuiltInRoleDocuments.All.Select(r => r.Name));
        var set = PolicySet.Compile(BuiltInRoleDocuments.All, [], [new PolicyResource("db", ResourceKind.Database)]);
        var admin = new PolicySubject("1", "root", Custos.Core.Identity.IdentityKind.User, ["admin"], new Dictionary<string, IReadOnlyList<string>>());
        var context = new DecisionContext(DateTimeOffset.UnixEpoch);
        Assert.True(set.Decide(admin, PolicyActions.RolesWrite, (string?)null, context).IsAllowed);
        Assert.False(set.Decide(admin, PolicyActions.DbConnect, "db", context).IsAllowed);
        var auditor = admin with { Roles = ["auditor"] };
        Assert.True(set.Decide(auditor, PolicyActions.AuditRead, (string?)null, context).IsAllowed);
        Assert.False(set.Decide(auditor, PolicyActions.UsersWrite, (string?)null, context).IsAllowed);
        Assert.False(set.Decide(admin with { Roles = ["user"] }, PolicyActions.UsersRead, (string?)null, context).IsAllowed);
    }
}
