using System.Diagnostics;
using System.Net;
using Custos.Core.Identity;
using Custos.Core.Policy;

namespace Custos.Core.Tests.Policy;

public class DecisionTests
{
    private static readonly DateTimeOffset FridayNoonBerlin = new(2025, 3, 28, 11, 0, 0, TimeSpan.Zero);

    private static PolicyResource Node(string name, params (string Key, string Value)[] labels) =>
        new(name, ResourceKind.SshNode, labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal));

    private static PolicyResource Db(string name, params (string Key, string Value)[] labels) =>
        new(name, ResourceKind.Database, labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal));

    private static PolicySubject User(string name, string[] roles, params (string Key, string[] Values)[] traits) =>
        new($"id-{name}", name, IdentityKind.User, roles,
            traits.ToDictionary(t => t.Key, t => (IReadOnlyList<string>)t.Values, StringComparer.Ordinal));

    private static RoleDocument Role(string yaml) => RoleParser.Parse(yaml);

    private static PolicySet Set(IEnumerable<string> roles, IEnumerable<PolicyResource> resources, IEnumerable<RoleMapping>? mappings = null) =>
        PolicySet.Compile(roles.Select(Role), mappings ?? [], resources);

    private static DecisionContext At(DateTimeOffset? time = null, string? from = "10.1.1.1", MfaLevel mfa = MfaLevel.PerSession, string? login = "alice", string? dbUser = null, string? dbName = null) =>
        new(time ?? FridayNoonBerlin, from is null ? null : IPAddress.Parse(from), mfa, login, dbUser, dbName);

    private const string Ops = """
        kind: role
        name: ops
        allow:
          resources: [{ kind: ssh_node, labels: { env: [staging, prod] } }]
          actions: [ssh.session]
          logins: ["{{user.name}}", ops]
          conditions:
            mfa: per_session
            source_networks: [10.0.0.0/8]
            time_windows: [{ days: mon-fri, hours: "08:00-20:00", tz: Europe/Berlin }]
          session: { max_ttl: 2h, recording: required, idle_timeout: 15m }
        """;

    [Fact]
    public void Nothing_is_allowed_by_default()
    {
        var set = Set([], [Node("n1")]);
        var d = set.Decide(User("alice", []), PolicyActions.SshSession, "n1", At());
        Assert.Equal(Effect.Deny, d.Effect);
        Assert.Equal(DecisionReason.NoRoleAllows, d.Explanation.Reason);
        Assert.Equal("no role allows ssh.session on 'n1'", d.Explanation.Message);
    }

    [Fact]
    public void An_allow_rule_allows_with_its_obligations_and_names_itself()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]);
        var d = set.Decide(User("alice", ["ops"]), PolicyActions.SshSession, "n1", At());
        Assert.True(d.IsAllowed);
        Assert.Equal([new RuleRef("ops", "allow")], d.Explanation.Rules);
        Assert.Equal(new Obligations(TimeSpan.FromHours(2), MfaLevel.PerSession, true, false, TimeSpan.FromMinutes(15)), d.Obligations);
    }

    [Theory]
    [InlineData(MfaLevel.Login, "10.1.1.1", 11, UnmetCondition.Mfa)]
    [InlineData(MfaLevel.PerSession, "192.168.0.1", 11, UnmetCondition.SourceNetwork)]
    [InlineData(MfaLevel.PerSession, null, 11, UnmetCondition.SourceNetwork)]
    [InlineData(MfaLevel.PerSession, "10.1.1.1", 20, UnmetCondition.TimeWindow)]
    public void Each_unmet_condition_denies_and_is_explained(MfaLevel mfa, string? from, int utcHour, UnmetCondition condition)
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]);
        var time = new DateTimeOffset(2025, 3, 28, utcHour, 0, 0, TimeSpan.Zero);
        var d = set.Decide(User("alice", ["ops"]), PolicyActions.SshSession, "n1", At(time, from, mfa));
        Assert.Equal(DecisionReason.ConditionUnmet, d.Explanation.Reason);
        Assert.Equal(condition, d.Explanation.Condition);
        Assert.Equal([new RuleRef("ops", "allow")], d.Explanation.Rules);
    }

    [Fact]
    public void A_login_the_rule_does_not_list_is_refused_and_templates_expand_per_subject()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]);
        Assert.True(set.Decide(User("alice", ["ops"]), PolicyActions.SshSession, "n1", At(login: "ops")).IsAllowed);
        var d = set.Decide(User("alice", ["ops"]), PolicyActions.SshSession, "n1", At(login: "root"));
        Assert.Equal(UnmetCondition.Login, d.Explanation.Condition);
        Assert.Equal("login 'root' is not allowed by ops/allow", d.Explanation.Message);
        Assert.False(set.Decide(User("bob", ["ops"]), PolicyActions.SshSession, "n1", At(login: "alice")).IsAllowed);
        Assert.True(set.Decide(User("bob", ["ops"]), PolicyActions.SshSession, "n1", At(login: "bob")).IsAllowed);
    }

    [Fact]
    public void Time_windows_follow_daylight_saving_time_in_Berlin()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]);
        var alice = User("alice", ["ops"]);
        bool Allowed(DateTimeOffset t) => set.Decide(alice, PolicyActions.SshSession, "n1", At(t)).IsAllowed;
        // Friday 28 March 2025 is CET (UTC+1): 07:30 UTC is 08:30 local.
        Assert.True(Allowed(new DateTimeOffset(2025, 3, 28, 7, 30, 0, TimeSpan.Zero)));
        Assert.False(Allowed(new DateTimeOffset(2025, 3, 28, 6, 30, 0, TimeSpan.Zero)));
        // Monday 31 March 2025 is CEST (UTC+2): 06:30 UTC is already 08:30 local, 18:30 UTC is 20:30 (closed).
        Assert.True(Allowed(new DateTimeOffset(2025, 3, 31, 6, 30, 0, TimeSpan.Zero)));
        Assert.True(Allowed(new DateTimeOffset(2025, 3, 31, 17, 59, 0, TimeSpan.Zero)));
        Assert.False(Allowed(new DateTimeOffset(2025, 3, 31, 18, 30, 0, TimeSpan.Zero)));
        // Saturday is outside mon-fri whatever the hour.
        Assert.False(Allowed(new DateTimeOffset(2025, 3, 29, 10, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Overnight_windows_end_the_next_morning()
    {
        Assert.True(TimeWindow.TryCreate("fri", "22:00-06:00", "UTC", out var w, out _));
        Assert.True(w.Contains(new DateTimeOffset(2025, 3, 28, 23, 0, 0, TimeSpan.Zero)));
        Assert.True(w.Contains(new DateTimeOffset(2025, 3, 29, 5, 0, 0, TimeSpan.Zero)));
        Assert.False(w.Contains(new DateTimeOffset(2025, 3, 29, 23, 0, 0, TimeSpan.Zero)));
        Assert.False(w.Contains(new DateTimeOffset(2025, 3, 28, 5, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("prod", "prod", true)]
    [InlineData("prod", "production", false)]
    [InlineData("[prod, staging]", "staging", true)]
    [InlineData("\"web-*\"", "web-12", true)]
    [InlineData("\"web-*\"", "db-1", false)]
    [InlineData("\"*-eu-*\"", "web-eu-1", true)]
    [InlineData("\"/web-[0-9]+/\"", "web-12", true)]
    [InlineData("\"/web-[0-9]+/\"", "web-12a", false)]
    [InlineData("\"!prod\"", "staging", true)]
    [InlineData("\"!prod\"", "prod", false)]
    [InlineData("[\"web-*\", \"!web-9\"]", "web-9", false)]
    [InlineData("[\"web-*\", \"!web-9\"]", "web-1", true)]
    [InlineData("\"!/w.*/\"", "web-1", false)]
    [InlineData("\"*\"", "anything", true)]
    public void Every_label_form_matches_as_documented(string values, string actual, bool matches)
    {
        var role = $"kind: role\nname: r\nallow:\n  resources: [{{ kind: ssh_node, labels: {{ tier: {values} }} }}]\n  actions: [ssh.session]\n  logins: [alice]\n";
        var set = Set([role], [Node("n1", ("tier", actual)), Node("n2", ("tier", "other"))]);
        Assert.Equal(matches, set.Decide(User("alice", ["r"]), PolicyActions.SshSession, "n1", At()).IsAllowed);
    }

    [Theory]
    [InlineData("prod", false)]
    [InlineData("\"!prod\"", true)]
    [InlineData("\"*\"", false)]
    public void A_missing_label_meets_only_negated_constraints(string values, bool matches)
    {
        var role = $"kind: role\nname: r\nallow:\n  resources: [{{ kind: ssh_node, labels: {{ env: {values} }} }}]\n  actions: [ssh.session]\n  logins: [alice]\n";
        var set = Set([role], [Node("n1"), Node("n2", ("env", "prod"))]);
        Assert.Equal(matches, set.Decide(User("alice", ["r"]), PolicyActions.SshSession, "n1", At()).IsAllowed);
    }

    [Fact]
    public void Trait_templates_in_labels_expand_to_every_trait_value_and_a_missing_trait_matches_nothing()
    {
        var set = Set([RoleSamples.DeveloperOnCall], [Node("pay", ("env", "staging"), ("team", "payments")), Node("web", ("env", "staging"), ("team", "web"))]);
        var dev = User("dana", ["developer-oncall"], ("team", ["payments", "search"]));
        Assert.True(set.Decide(dev, PolicyActions.SshSession, "pay", At(login: "dana")).IsAllowed);
        Assert.False(set.Decide(dev, PolicyActions.SshSession, "web", At(login: "dana")).IsAllowed);
        Assert.False(set.Decide(User("dana", ["developer-oncall"]), PolicyActions.SshSession, "pay", At(login: "dana")).IsAllowed);
    }

    [Fact]
    public void A_trait_value_with_a_star_is_literal_not_a_wildcard()
    {
        var set = Set([RoleSamples.DeveloperOnCall], [Node("pay", ("env", "staging"), ("team", "payments"))]);
        Assert.False(set.Decide(User("eve", ["developer-oncall"], ("team", ["*"])), PolicyActions.SshSession, "pay", At(login: "eve")).IsAllowed);
    }

    [Fact]
    public void Deny_overrides_allow()
    {
        var set = Set([RoleSamples.DeveloperOnCall], [Node("card", ("env", "staging"), ("team", "payments"), ("data", "pci"))]);
        var d = set.Decide(User("dana", ["developer-oncall"], ("team", ["payments"])), PolicyActions.SshSession, "card", At(login: "dana"));
        Assert.Equal(DecisionReason.DeniedByRule, d.Explanation.Reason);
        Assert.Equal([new RuleRef("developer-oncall", "deny")], d.Explanation.Rules);
    }

    [Fact]
    public void A_deny_in_one_role_overrides_an_allow_in_another()
    {
        const string noDdl = "kind: role\nname: no-ddl\ndeny: { resources: [{ kind: database }], actions: [db.query.ddl] }\n";
        const string dbAll = "kind: role\nname: db-all\nallow: { resources: [{ kind: database }], actions: [\"db.*\"], db_users: [app], db_names: [\"*\"] }\n";
        var set = Set([noDdl, dbAll], [Db("pg")]);
        var u = User("u", ["no-ddl", "db-all"]);
        Assert.True(set.Decide(u, PolicyActions.DbQueryWrite, "pg", At(dbUser: "app", dbName: "x")).IsAllowed);
        Assert.Equal(DecisionReason.DeniedByRule, set.Decide(u, PolicyActions.DbQueryDdl, "pg", At(dbUser: "app", dbName: "x")).Explanation.Reason);
    }

    [Fact]
    public void Obligations_merge_over_matching_rules()
    {
        const string a = "kind: role\nname: a\nallow: { resources: [{ kind: ssh_node }], actions: [ssh.session], logins: [x], conditions: { mfa: login }, session: { max_ttl: 8h, idle_timeout: 30m } }\n";
        const string b = "kind: role\nname: b\nallow: { resources: [{ kind: ssh_node }], actions: [ssh.session], logins: [x], conditions: { mfa: per_session }, session: { max_ttl: 1h, recording: required, moderated: true } }\n";
        const string c = "kind: role\nname: c\nallow: { resources: [{ kind: ssh_node }], actions: [ssh.session], logins: [x], session: { idle_timeout: 10m } }\n";
        var set = Set([a, b, c], [Node("n")]);
        var d = set.Decide(User("u", ["a", "b", "c"]), PolicyActions.SshSession, "n", At(login: "x"));
        Assert.Equal(new Obligations(TimeSpan.FromHours(1), MfaLevel.PerSession, true, true, TimeSpan.FromMinutes(10)), d.Obligations);
        Assert.Equal(["a", "b", "c"], d.Explanation.Rules.Select(r => r.Role));
        // Without per-session MFA, only a and c match: their obligations alone.
        var weaker = set.Decide(User("u", ["a", "b", "c"]), PolicyActions.SshSession, "n", At(login: "x", mfa: MfaLevel.Login));
        Assert.Equal(new Obligations(TimeSpan.FromHours(8), MfaLevel.Login, false, false, TimeSpan.FromMinutes(10)), weaker.Obligations);
    }

    [Fact]
    public void A_role_that_requires_a_request_makes_the_decision_requestable()
    {
        const string requester = "kind: role\nname: dba-requester\nallow: { actions: [requests.read] }\n";
        var set = Set([RoleSamples.Dba, requester], [Db("orders", ("env", "prod"), ("team", "shop")), Db("cards", ("env", "prod"), ("team", "shop"), ("data", "pci"))],
            [new RoleMapping("groups", "dba", "dba-requester")]);
        var dba = User("dora", [], ("groups", ["dba"]), ("team", ["shop"]));
        var d = set.Decide(dba, PolicyActions.DbConnect, "orders", At(dbUser: "app_admin", dbName: "orders"));
        Assert.Equal(Effect.Deny, d.Effect);
        Assert.True(d.Requestable);
        Assert.Equal(["dba"], d.RequestableRoles);
        Assert.Equal(DecisionReason.RequiresRequest, d.Explanation.Reason);
        // A role's own deny rule also bounds what a request for it could grant.
        var ddl = set.Decide(dba, PolicyActions.DbQueryDdl, "orders", At(dbUser: "app_admin", dbName: "orders"));
        Assert.False(ddl.Requestable);
        // A database user the role does not list cannot be obtained by request either.
        Assert.False(set.Decide(dba, PolicyActions.DbConnect, "orders", At(dbUser: "postgres", dbName: "orders")).Requestable);
        // Without the mapping trait there is nothing to request.
        Assert.False(set.Decide(User("x", [], ("team", ["shop"])), PolicyActions.DbConnect, "orders", At(dbUser: "app_admin")).Requestable);
    }

    [Fact]
    public void Admin_actions_take_no_resource_and_unknown_or_mismatched_requests_are_denied()
    {
        var set = Set([RoleSamples.Auditor], [Node("n1")]);
        var auditor = User("a", ["auditor"]);
        Assert.True(set.Decide(auditor, PolicyActions.AuditRead, (string?)null, At()).IsAllowed);
        Assert.False(set.Decide(auditor, PolicyActions.UsersWrite, (string?)null, At()).IsAllowed);
        Assert.Equal(DecisionReason.UnknownAction, set.Decide(auditor, "audit.delete", (string?)null, At()).Explanation.Reason);
        Assert.Equal(DecisionReason.UnknownResource, set.Decide(auditor, PolicyActions.SshSession, "nope", At()).Explanation.Reason);
        Assert.Equal(DecisionReason.UnknownResource, set.Decide(auditor, PolicyActions.SshSession, (string?)null, At()).Explanation.Reason);
        Assert.Equal(DecisionReason.ActionNotApplicable, set.Decide(auditor, PolicyActions.DbConnect, "n1", At()).Explanation.Reason);
    }

    [Fact]
    public void Locks_are_consulted_first_and_deny_with_their_description()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]).WithLocks(new LockAll("user alice locked by incident INC-7"));
        var d = set.Decide(User("alice", ["ops"]), PolicyActions.SshSession, "n1", At());
        Assert.Equal(DecisionReason.Locked, d.Explanation.Reason);
        Assert.Equal("locked: user alice locked by incident INC-7", d.Explanation.Message);
    }

    private sealed class LockAll(string description) : ILockChecker
    {
        public string? FindLock(PolicySubject subject, string action, PolicyResource? resource) => description;
    }

    [Fact]
    public void Role_mappings_assign_roles_through_traits()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))], [new RoleMapping("team", "sre", "ops")]);
        Assert.True(set.Decide(User("alice", [], ("team", ["sre"])), PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.False(set.Decide(User("alice", [], ("team", ["web"])), PolicyActions.SshSession, "n1", At()).IsAllowed);
    }

    [Fact]
    public void WithRole_replaces_one_role_and_keeps_the_others()
    {
        var set = Set([Ops, RoleSamples.Auditor], [Node("n1", ("env", "prod"))]);
        var changed = set.WithRole(Role(Ops.Replace("[staging, prod]", "[staging]", StringComparison.Ordinal)));
        var alice = User("alice", ["ops", "auditor"]);
        Assert.True(set.Decide(alice, PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.False(changed.Decide(alice, PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.True(changed.Decide(alice, PolicyActions.AuditRead, (string?)null, At()).IsAllowed);
        Assert.False(changed.WithoutRole("auditor").Decide(alice, PolicyActions.AuditRead, (string?)null, At()).IsAllowed);
    }

    [Fact]
    public void A_subject_copied_with_other_roles_is_decided_by_its_own_roles_and_sets_alternate_safely()
    {
        var set = Set([Ops], [Node("n1", ("env", "prod"))]);
        var other = set.WithoutRole("ops");
        var alice = User("alice", ["ops"]);
        Assert.True(set.Decide(alice, PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.False(set.Decide(alice with { Roles = [] }, PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.False(other.Decide(alice, PolicyActions.SshSession, "n1", At()).IsAllowed);
        Assert.True(set.Decide(alice, PolicyActions.SshSession, "n1", At()).IsAllowed);
        var fresh = new PolicySubject(alice.Id, alice.Name, alice.Kind, alice.Roles, alice.Traits);
        Assert.Equal(fresh, alice);
        Assert.Equal(fresh.GetHashCode(), alice.GetHashCode());
        Assert.Equal(alice with { }, alice);
        Assert.NotEqual(alice with { Name = "bob" }, alice);
    }

    [Fact]
    public void Common_answers_are_shared_not_built_per_decision()
    {
        var deny = "kind: role\nname: no-pci\ndeny:\n  resources: [{ kind: ssh_node, labels: { data: pci } }]\n  actions: [ssh.session]\n";
        var set = Set([Ops, deny], [Node("n1", ("env", "prod")), Node("n2", ("env", "dev")), Node("n3", ("env", "prod"), ("data", "pci"))]);
        var alice = User("alice", ["ops", "no-pci"]);
        foreach (var resource in new[] { "n1", "n2", "n3" })
            Assert.Same(set.Decide(alice, PolicyActions.SshSession, resource, At()), set.Decide(alice, PolicyActions.SshSession, resource, At(login: "ops")));
        // "No role allows" lives on the resource index and a rule without templates is compiled once: both outlive a recompile.
        var recompiled = set.WithMappings([]);
        foreach (var resource in new[] { "n2", "n3" })
            Assert.Same(set.Decide(alice, PolicyActions.SshSession, resource, At()), recompiled.Decide(User("alice", ["ops", "no-pci"]), PolicyActions.SshSession, resource, At()));
        Assert.Equal("no role allows ssh.session on 'n2'", set.Decide(alice, PolicyActions.SshSession, "n2", At()).Explanation.Message);
        Assert.Equal("denied by no-pci/deny", set.Decide(alice, PolicyActions.SshSession, "n3", At()).Explanation.Message);
        Assert.NotSame(set.Decide(alice, PolicyActions.SshSession, "n1", At(mfa: MfaLevel.None)), set.Decide(alice, PolicyActions.SshSession, "n1", At(mfa: MfaLevel.None)));
    }

    [Fact]
    public void A_catastrophic_regex_neither_slows_compilation_nor_decisions()
    {
        var role = "kind: role\nname: r\nallow:\n  resources: [{ kind: ssh_node, labels: { host: \"/(a+)+$/\", env: \"/(x+x+)+y/\" } }]\n  actions: [ssh.session]\n  logins: [alice]\n";
        var resources = Enumerable.Range(0, 200)
            .Select(i => Node($"n{i}", ("host", new string('a', 5000 + i) + "!"), ("env", new string('x', 5000 + i))))
            .Append(Node("ok", ("host", "aaaa"), ("env", "xxy")))
            .ToList();
        var watch = Stopwatch.StartNew();
        var set = Set([role], resources);
        var alice = User("alice", ["r"]);
        Assert.True(set.Decide(alice, PolicyActions.SshSession, "ok", At()).IsAllowed);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"compile took {watch.Elapsed}");
        watch.Restart();
        for (var i = 0; i < 10_000; i++)
            Assert.False(set.Decide(alice, PolicyActions.SshSession, $"n{i % 200}", At()).IsAllowed);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"10,000 decisions took {watch.Elapsed}");
    }

    [Fact]
    public void Who_can_lists_identities_and_roles_standing_or_by_request_with_conditions()
    {
        const string requester = "kind: role\nname: dba-requester\nallow: { actions: [requests.read] }\n";
        var set = Set([RoleSamples.Dba, requester, Ops], [Db("orders", ("env", "prod"), ("team", "shop"))]);
        var dora = User("dora", ["dba-requester"], ("team", ["shop"]));
        var sam = User("sam", ["dba"], ("team", ["web"]));
        var result = set.WhoCan(PolicyActions.DbConnect, "orders", [dora, sam, User("olga", ["ops"])]);
        var role = Assert.Single(result.Roles);
        Assert.Equal(("dba", AccessMode.Request, true), (role.Role, role.Mode, role.DependsOnTraits));
        var subject = Assert.Single(result.Subjects);
        Assert.Equal(("dora", AccessMode.Request), (subject.Name, subject.Mode));
        Assert.Equal(MfaLevel.PerSession, Assert.Single(subject.Conditions).Mfa);
    }

    [Fact]
    public void What_can_lists_reachable_resources_logins_and_admin_actions()
    {
        var set = Set([Ops, RoleSamples.Auditor, RoleSamples.Dba], [Node("n1", ("env", "prod")), Node("n2", ("env", "dev")), Db("orders", ("env", "prod"), ("team", "shop"))]);
        var result = set.WhatCan(User("alice", ["ops", "auditor", "dba"], ("team", ["shop"])));
        var n1 = Assert.Single(result.Resources, r => r.Name == "n1");
        Assert.Equal(AccessMode.Standing, n1.Mode);
        Assert.Equal(["ssh.session"], n1.Actions);
        Assert.Equal(["alice", "ops"], n1.Logins);
        Assert.DoesNotContain(result.Resources, r => r.Name == "n2");
        var orders = Assert.Single(result.Resources, r => r.Name == "orders");
        Assert.Equal(AccessMode.Request, orders.Mode);
        Assert.Equal(["app_admin"], orders.DbUsers);
        Assert.Contains(PolicyActions.AuditRead, result.StandingAdminActions);
        Assert.Equal(["dba"], result.RequestableRoles);
    }
}
