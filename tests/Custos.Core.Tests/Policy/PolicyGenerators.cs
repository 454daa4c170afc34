using System.Net;
using Custos.Core.Identity;
using Custos.Core.Policy;
using FsCheck;
using FsCheck.Fluent;

namespace Custos.Core.Tests.Policy;

/// <summary>One query: an action on a resource (by name) in a context.</summary>
public sealed record PolicyQuery(string Action, string? Resource, DecisionContext Context);

/// <summary>A random estate: roles, mappings, resources, one subject and the queries to ask about it.</summary>
public sealed record PolicyCase(
    IReadOnlyList<RoleDocument> Roles,
    IReadOnlyList<RoleMapping> Mappings,
    IReadOnlyList<PolicyResource> Resources,
    PolicySubject Subject,
    IReadOnlyList<PolicyQuery> Queries)
{
    public override string ToString() =>
        string.Join("\n---\n", Roles.Select(r => r.ToCanonicalYaml()))
        + "\nmappings: " + string.Join(", ", Mappings)
        + "\nresources: " + string.Join(", ", Resources.Select(r => $"{r.Name}/{r.Kind}[{string.Join(",", r.Labels.Select(l => $"{l.Key}={l.Value}"))}]"))
        + $"\nsubject: {Subject.Name} roles=[{string.Join(",", Subject.Roles)}] traits=[{string.Join(";", Subject.Traits.Select(t => $"{t.Key}={string.Join("|", t.Value)}"))}]";
}

/// <summary>
/// Generators over a small universe (few label keys, values, logins), so random roles and resources overlap often and
/// every branch of the semantics is exercised.
/// </summary>
public static class PolicyGenerators
{
    public static readonly string[] LabelKeys = ["env", "team", "tier"];
    public static readonly string[] LabelValues = ["prod", "staging", "dev", "a", "b", "web-1", "web-22", "db-1"];
    public static readonly string[] LabelPatterns =
    [
        "prod", "staging", "dev", "a", "b", "web-*", "*", "*-1", "/web-[0-9]+/", "/d.*/", "/(a+)+$/", "!prod", "!web-*", "!/st.*/",
        "{{user.traits.team}}", "web-{{user.traits.team}}", "!{{user.traits.team}}", "{{user.name}}",
    ];
    public static readonly string[] TargetPatterns = ["root", "alice", "app", "{{user.name}}", "{{user.traits.login}}", "a*", "*"];
    public static readonly string[] TargetValues = ["root", "alice", "bob", "app", "admin"];
    public static readonly string[] ActionPatterns =
        [.. PolicyActions.All, "ssh.*", "db.*", "db.query.*", "users.*", "*"];
    public static readonly string[] RoleNames = ["r0", "r1", "r2", "r3", "r4"];
    public static readonly DateTimeOffset[] Times =
    [
        new(2025, 3, 28, 10, 0, 0, TimeSpan.Zero), // Friday
        new(2025, 3, 29, 10, 0, 0, TimeSpan.Zero), // Saturday
        new(2025, 3, 31, 6, 30, 0, TimeSpan.Zero), // Monday 08:30 in Berlin (CEST)
        new(2025, 3, 31, 22, 0, 0, TimeSpan.Zero),
    ];
    public static readonly IPAddress?[] Addresses = [null, IPAddress.Parse("10.1.2.3"), IPAddress.Parse("192.168.1.7"), IPAddress.Parse("8.8.8.8")];

    private static readonly TimeWindow[] Windows =
    [
        Window("mon-fri", "08:00-20:00", "Europe/Berlin"),
        Window("sat,sun", "00:00-24:00", "UTC"),
        Window("*", "22:00-06:00", "UTC"),
    ];
    private static readonly IPNetwork[] Networks = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("192.168.1.0/24")];

    private static TimeWindow Window(string days, string hours, string tz) =>
        TimeWindow.TryCreate(days, hours, tz, out var w, out var e) ? w : throw new InvalidOperationException(e);

    private static Gen<List<T>> SubList<T>(T[] items, int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ListOf(Gen.Elements(items), n)).Select(l => l.Distinct().ToList());

    private static Gen<T> Elements<T>(params T[] items) => Gen.Elements(items);

    public static Gen<LabelConstraint> Constraint =>
        from key in Elements(LabelKeys)
        from values in Gen.Choose(1, 3).SelectMany(n => Gen.ListOf(Gen.Elements(LabelPatterns), n))
        select new LabelConstraint(key, [.. values.Distinct().Select(LabelPattern.Parse)]);

    public static Gen<ResourceSelector> Selector =>
        from kind in Elements<ResourceKind?>(null, ResourceKind.SshNode, ResourceKind.Database, ResourceKind.App)
        from count in Gen.Choose(0, 2)
        from labels in Gen.ListOf(Constraint, count)
        select new ResourceSelector(kind, [.. labels.DistinctBy(l => l.Key)]);

    public static Gen<RoleRule> Rule(bool deny) =>
        from selectorCount in Gen.Choose(1, 2)
        from selectors in Gen.ListOf(Selector, selectorCount)
        from actionCount in Gen.Choose(1, 3)
        from actions in Gen.ListOf(Gen.Elements(ActionPatterns), actionCount)
        from logins in SubList(TargetPatterns, deny ? 1 : 3)
        from dbUsers in SubList(TargetPatterns, deny ? 1 : 2)
        from dbNames in SubList(TargetPatterns, deny ? 1 : 2)
        from mfa in Elements(MfaLevel.None, MfaLevel.None, MfaLevel.Login, MfaLevel.PerSession)
        from networks in SubList(Networks, 1)
        from windows in SubList(Windows, 1)
        from ttl in Elements<TimeSpan?>(null, TimeSpan.FromHours(2), TimeSpan.FromMinutes(30))
        from recording in Gen.Elements(false, true)
        from moderated in Gen.Elements(false, false, true)
        from idle in Elements<TimeSpan?>(null, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5))
        select new RoleRule(
            selectors,
            [.. actions.Distinct()],
            [.. logins.Select(PatternTemplate.Parse)],
            [.. dbUsers.Select(PatternTemplate.Parse)],
            [.. dbNames.Select(PatternTemplate.Parse)],
            deny ? RuleConditions.None : new RuleConditions(mfa, networks, windows),
            deny ? SessionSettings.None : new SessionSettings(ttl, recording, moderated, idle));

    public static Gen<RoleDocument> Role(string name) =>
        from allowCount in Gen.Choose(0, 2)
        from allow in Gen.ListOf(Rule(false), allowCount)
        from denyCount in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Constant(1)))
        from deny in Gen.ListOf(Rule(true), denyCount)
        from requiresRequest in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from requestableBy in SubList(RoleNames, 1)
        select new RoleDocument(name, null, allow, deny, requiresRequest,
            requestableBy.Count == 0 ? null : new RequestSettings(requestableBy, [], 1));

    public static Gen<PolicyResource> Resource(int i) =>
        from kind in Elements(ResourceKind.SshNode, ResourceKind.SshNode, ResourceKind.Database, ResourceKind.App)
        from keys in SubList(LabelKeys, 3)
        from values in Gen.ListOf(Gen.Elements(LabelValues), keys.Count)
        select new PolicyResource($"res-{i}", kind, keys.Zip(values).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));

    public static Gen<PolicySubject> Subject =>
        from name in Elements("alice", "bob", "app")
        from roles in SubList(RoleNames, 3)
        from team in SubList(["a", "b", "prod", "1"], 2)
        from login in SubList(TargetValues, 2)
        from groups in SubList(["g1", "g2"], 2)
        select new PolicySubject($"id-{name}", name, IdentityKind.User, roles,
            new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["team"] = team, ["login"] = login, ["group"] = groups });

    public static Gen<PolicyQuery> Query(int resourceCount) =>
        from action in Gen.Frequency((20, Gen.Elements(PolicyActions.All.ToArray())), (1, Gen.Constant("bogus.action")))
        from resource in Gen.Frequency(
            (20, Gen.Choose(0, Math.Max(0, resourceCount - 1)).Select(i => (string?)$"res-{i}")),
            (1, Gen.Constant<string?>(null)),
            (1, Gen.Constant<string?>("missing")))
        from time in Gen.Elements(Times)
        from address in Gen.Elements(Addresses)
        from mfa in Elements(MfaLevel.None, MfaLevel.Login, MfaLevel.PerSession)
        from login in Elements<string?>([null, .. TargetValues])
        from dbUser in Elements<string?>([null, .. TargetValues])
        from dbName in Elements<string?>([null, .. TargetValues])
        select new PolicyQuery(action, resource, new DecisionContext(time, address, mfa, login, dbUser, dbName));

    public static Gen<PolicyCase> Case =>
        from roleCount in Gen.Choose(1, RoleNames.Length)
        from roles in Gen.CollectToList(RoleNames.Take(roleCount), Role)
        from mappingCount in Gen.Choose(0, 2)
        from mappings in Gen.ListOf(
            from value in Elements("g1", "g2")
            from role in Gen.Elements(RoleNames)
            select new RoleMapping("group", value, role), mappingCount)
        from resourceCount in Gen.Choose(1, 10)
        from resources in Gen.CollectToList(Enumerable.Range(0, resourceCount), Resource)
        from subject in Subject
        from queries in Gen.ListOf(Query(resourceCount), 25)
        select new PolicyCase([.. roles], mappings, [.. resources], subject, queries);
}
