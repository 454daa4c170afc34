using System.Globalization;
using System.Net;
using Custos.Core.Identity;
using Custos.Core.Policy;

namespace Custos.Policy.Benchmarks;

/// <summary>
/// A generated estate shaped like a large deployment: 100,000 resources labelled by env, team, region and service;
/// 1,000 roles (team roles with trait templates, service roles with wildcards and regular expressions, requestable
/// production roles, deny rules on PCI data); 10,000 identities with two to four roles and team traits, some roles
/// assigned through mappings. Seeded, so every run measures the same estate.
/// </summary>
public sealed class Estate
{
    public const int Teams = 100;
    public const int Services = 2_000;

    private static readonly string[] Envs = ["prod", "staging", "dev"];
    private static readonly string[] Regions = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1", "ap-east-1", "sa-east-1", "ca-central-1", "af-south-1", "me-south-1"];

    public Estate(int users = 10_000, int roles = 1_000, int resources = 100_000, int seed = 42)
    {
        var random = new Random(seed);
        Resources = [.. Enumerable.Range(0, resources).Select(i => Resource(i, random))];
        Roles = [.. Enumerable.Range(0, roles).Select(i => RoleParser.Parse(RoleYaml(i)))];
        Mappings = [.. Enumerable.Range(0, Teams).Select(t => new RoleMapping("team", Team(t), $"role-{t}"))];
        Subjects = [.. Enumerable.Range(0, users).Select(i => Subject(i, roles, random))];
    }

    public IReadOnlyList<PolicyResource> Resources { get; }

    public IReadOnlyList<RoleDocument> Roles { get; }

    public IReadOnlyList<RoleMapping> Mappings { get; }

    public IReadOnlyList<PolicySubject> Subjects { get; }

    public PolicySet Compile() => PolicySet.Compile(Roles, Mappings, Resources);

    private static string Team(int t) => string.Create(CultureInfo.InvariantCulture, $"team-{t}");

    private static PolicyResource Resource(int i, Random random)
    {
        var kind = (i % 10) switch { < 7 => ResourceKind.SshNode, < 9 => ResourceKind.Database, _ => ResourceKind.App };
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["env"] = Envs[random.Next(Envs.Length)],
            ["team"] = Team(random.Next(Teams)),
            ["region"] = Regions[random.Next(Regions.Length)],
            ["service"] = string.Create(CultureInfo.InvariantCulture, $"svc-{random.Next(Services)}"),
        };
        if (random.Next(20) == 0)
            labels["data"] = "pci";
        return new PolicyResource(string.Create(CultureInfo.InvariantCulture, $"res-{i}"), kind, labels);
    }

    /// <summary>Ten role shapes, cycled.</summary>
    private static string RoleYaml(int i)
    {
        var team = Team(i % Teams);
        var region = Regions[i % Regions.Length];
        var svc = i % Services;
        var header = $"kind: role\nname: role-{i}\n";
        return (i / Teams % 10) switch
        {
            0 => header + $"allow:\n  resources: [{{ kind: ssh_node, labels: {{ team: {team}, env: [dev, staging] }} }}]\n  actions: [ssh.session, ssh.exec]\n  logins: [\"{{{{user.name}}}}\", deploy]\n  session: {{ max_ttl: 8h }}\ndeny:\n  resources: [{{ kind: ssh_node, labels: {{ data: pci }} }}]\n  actions: [\"ssh.*\"]\n",
            1 => header + $"allow:\n  resources: [{{ kind: database, labels: {{ team: \"{{{{user.traits.team}}}}\", env: \"!prod\" }} }}]\n  actions: [db.connect, db.query.read]\n  db_users: [readonly]\n  db_names: [\"*\"]\n",
            2 => header + $"allow:\n  resources: [{{ kind: ssh_node, labels: {{ service: \"svc-{svc / 10}*\", region: {region} }} }}]\n  actions: [\"ssh.*\"]\n  logins: [ops]\n  conditions: {{ mfa: login, source_networks: [10.0.0.0/8] }}\n",
            3 => header + $"allow:\n  resources: [{{ kind: database, labels: {{ team: {team}, env: prod }} }}]\n  actions: [db.connect, db.query.read, db.query.write]\n  db_users: [app_admin]\n  db_names: [\"*\"]\n  conditions: {{ mfa: per_session, time_windows: [{{ days: mon-fri, hours: \"08:00-20:00\", tz: Europe/Berlin }}] }}\n  session: {{ max_ttl: 2h, recording: required, idle_timeout: 15m }}\ndeny:\n  resources: [{{ kind: database, labels: {{ data: pci }} }}]\n  actions: [db.query.ddl]\nrequires_request: true\nrequest:\n  requestable_by: [role-{i % Teams}]\n  reviewers: {{ roles: [role-0], approvals: 2 }}\n",
            4 => header + $"allow:\n  resources: [{{ kind: app, labels: {{ team: {team} }} }}]\n  actions: [app.access]\n",
            5 => header + $"allow:\n  resources: [{{ kind: ssh_node, labels: {{ service: \"/svc-{svc % 100}[0-9]/\", env: [staging, prod] }} }}]\n  actions: [ssh.session]\n  logins: [\"{{{{user.traits.login}}}}\"]\n  conditions: {{ mfa: per_session }}\n  session: {{ max_ttl: 1h, recording: required }}\n",
            6 => header + "allow:\n  actions: [audit.read, sessions.read, users.read, roles.read, resources.read]\n",
            7 => header + $"allow:\n  resources: [{{ kind: ssh_node, labels: {{ team: {team}, env: prod }} }}]\n  actions: [ssh.session]\n  logins: [root]\n  conditions: {{ mfa: per_session }}\n  session: {{ max_ttl: 30m, recording: required, moderated: true }}\nrequires_request: true\n",
            8 => header + $"allow:\n  resources: [{{ kind: database, labels: {{ region: {region}, env: [dev, staging] }} }}]\n  actions: [\"db.*\"]\n  db_users: [\"dev_*\"]\n  db_names: [\"*\"]\ndeny:\n  resources: [{{ kind: database }}]\n  actions: [db.query.ddl]\n",
            _ => header + $"allow:\n  resources: [{{ kind: ssh_node, labels: {{ team: {team}, env: \"!dev\" }} }}, {{ kind: app, labels: {{ team: {team} }} }}]\n  actions: [ssh.session, app.access]\n  logins: [\"{{{{user.name}}}}\"]\n  conditions: {{ source_networks: [10.0.0.0/8, 192.168.0.0/16] }}\n",
        };
    }

    private static PolicySubject Subject(int i, int roleCount, Random random)
    {
        var roles = Enumerable.Range(0, random.Next(2, 5)).Select(_ => string.Create(CultureInfo.InvariantCulture, $"role-{random.Next(roleCount)}")).Distinct().ToArray();
        var name = string.Create(CultureInfo.InvariantCulture, $"user{i}");
        var traits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["team"] = [Team(random.Next(Teams))],
            ["login"] = [name],
        };
        return new PolicySubject(string.Create(CultureInfo.InvariantCulture, $"id-{i}"), name, (IdentityKind)(i % 3), roles, traits);
    }

    public static readonly IReadOnlyList<string> Actions = [PolicyActions.SshSession, PolicyActions.SshExec, PolicyActions.DbConnect, PolicyActions.DbQueryRead, PolicyActions.AppAccess, PolicyActions.AuditRead];

    /// <summary>A mix of queries: random subject, resource of the action's kind, and context.</summary>
    public (PolicySubject Subject, string Action, string? Resource, DecisionContext Context)[] Queries(int count, int seed = 7)
    {
        var random = new Random(seed);
        var monday = new DateTimeOffset(2025, 3, 31, 9, 0, 0, TimeSpan.Zero);
        var addresses = new[] { IPAddress.Parse("10.3.4.5"), IPAddress.Parse("192.168.7.1"), IPAddress.Parse("8.8.8.8") };
        var byKind = Resources.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Select(r => r.Name).ToArray());
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var subject = Subjects[random.Next(Subjects.Count)];
            var action = Actions[random.Next(Actions.Count)];
            var kind = PolicyActions.KindOf(action);
            var resource = kind is { } k ? byKind[k][random.Next(byKind[k].Length)] : null;
            var context = new DecisionContext(monday.AddHours(random.Next(48)), addresses[random.Next(3)], (MfaLevel)random.Next(3),
                kind == ResourceKind.SshNode ? (random.Next(2) == 0 ? subject.Name : "root") : null,
                kind == ResourceKind.Database ? "readonly" : null,
                kind == ResourceKind.Database ? "orders" : null);
            return (subject, action, resource, context);
        })];
    }
}
