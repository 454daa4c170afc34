using Custos.Core.Policy;
using FsCheck;
using FsCheck.Fluent;

namespace Custos.Core.Tests.Policy;

public class PolicyPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Compiled_decisions_equal_the_reference_evaluator()
    {
        Prop.ForAll(PolicyGenerators.Case.ToArbitrary(), c =>
        {
            var compiled = PolicySet.Compile(c.Roles, c.Mappings, c.Resources);
            var reference = new ReferenceEvaluator(c.Roles, c.Mappings, c.Resources);
            foreach (var q in c.Queries)
            {
                var expected = reference.Decide(c.Subject, q.Action, q.Resource, q.Context);
                var actual = compiled.Decide(c.Subject, q.Action, q.Resource, q.Context);
                if (expected != actual)
                    throw new InvalidOperationException($"{q}\nexpected {expected}\nactual   {actual}\n{c}");
            }
            return true;
        }).Check(Config);
    }

    [Fact]
    public void Concurrent_decisions_on_a_fresh_set_equal_sequential_ones()
    {
        Prop.ForAll(PolicyGenerators.Case.ToArbitrary(), c =>
        {
            var sequential = PolicySet.Compile(c.Roles, c.Mappings, c.Resources);
            var expected = c.Queries.Select(q => sequential.Decide(c.Subject, q.Action, q.Resource, q.Context)).ToArray();
            var shared = PolicySet.Compile(c.Roles, c.Mappings, c.Resources);
            var actual = new Decision[c.Queries.Count];
            // Fresh subjects (equal values, distinct references) race to fill the subject caches.
            Parallel.For(0, c.Queries.Count, i =>
            {
                var q = c.Queries[i];
                actual[i] = shared.Decide(c.Subject with { }, q.Action, q.Resource, q.Context);
            });
            return expected.SequenceEqual(actual);
        }).Check(Config.WithMaxTest(100));
    }

    [Fact]
    public void Adding_a_deny_rule_never_grants_more()
    {
        var cases =
            from c in PolicyGenerators.Case
            from target in Gen.Choose(0, c.Roles.Count - 1)
            from deny in PolicyGenerators.Rule(deny: true)
            select (c, target, deny);
        Prop.ForAll(cases.ToArbitrary(), t =>
        {
            var (c, target, deny) = t;
            var changed = c.Roles.Select((r, i) => i == target ? r with { Deny = [.. r.Deny, deny] } : r).ToList();
            return NeverGrantsMore(c, changed);
        }).Check(Config);
    }

    [Fact]
    public void Removing_an_allow_rule_never_grants_more()
    {
        var cases =
            from c in PolicyGenerators.Case
            from target in Gen.Choose(0, c.Roles.Count - 1)
            from which in Gen.Choose(0, 1)
            select (c, target, which);
        Prop.ForAll(cases.ToArbitrary(), t =>
        {
            var (c, target, which) = t;
            var changed = c.Roles.Select((r, i) => i == target && r.Allow.Count > 0
                ? r with { Allow = [.. r.Allow.Where((_, k) => k != which % r.Allow.Count)] }
                : r).ToList();
            return NeverGrantsMore(c, changed);
        }).Check(Config);
    }

    private static bool NeverGrantsMore(PolicyCase c, List<RoleDocument> changed)
    {
        var before = PolicySet.Compile(c.Roles, c.Mappings, c.Resources);
        var after = PolicySet.Compile(changed, c.Mappings, c.Resources);
        foreach (var q in c.Queries)
        {
            var now = after.Decide(c.Subject, q.Action, q.Resource, q.Context);
            var was = before.Decide(c.Subject, q.Action, q.Resource, q.Context);
            if (now.IsAllowed && !was.IsAllowed)
                throw new InvalidOperationException($"{q}: now {now}, was {was}\n{c}");
            if (now.Requestable && !(was.IsAllowed || was.Requestable))
                throw new InvalidOperationException($"{q}: now {now}, was {was}\n{c}");
        }
        return true;
    }

    [Fact]
    public void Canonical_yaml_parses_back_to_the_same_document()
    {
        var roles = Gen.Elements(PolicyGenerators.RoleNames).SelectMany(PolicyGenerators.Role)
            .Where(r => r.Allow.Count + r.Deny.Count > 0);
        Prop.ForAll(roles.ToArbitrary(), role =>
        {
            var canonical = role.ToCanonicalYaml();
            var again = RoleParser.Parse(canonical).ToCanonicalYaml();
            return again == canonical;
        }).Check(Config);
    }

    [Fact]
    public void The_parser_only_ever_throws_its_validation_exception()
    {
        var fragments = new[]
        {
            "kind: role\n", "name: x\n", "allow:\n", "  resources:\n", "    - kind: database\n", "      labels: { env: [prod, \"!dev\"] }\n",
            "  actions: [db.connect]\n", "deny: {}\n", "&a [1]\n", "*a\n", "!!str x\n", "- ", ": ", "{", "}", "[", "]", "'", "\"", "\t",
            "  conditions: { mfa: per_session, time_windows: [{ days: mon-fri, hours: \"08:00-20:00\", tz: Europe/Berlin }] }\n",
            "  session: { max_ttl: 2h }\n", "requires_request: yes\n", "request: { reviewers: { approvals: 0 } }\n", "/(a+)+$/", "{{", "}}",
        };
        var structured = Gen.ListOf(Gen.Elements(fragments)).Select(string.Concat);
        var samples = Gen.Elements(RoleSamples.All).SelectMany(s =>
            from cut in Gen.Choose(0, s.Length)
            from insert in Gen.Elements(fragments)
            select s[..cut] + insert + s[cut..]);
        var inputs = Gen.OneOf(structured, samples, ArbMap.Default.ArbFor<string>().Generator.Where(s => s is not null));
        Prop.ForAll(inputs.ToArbitrary(), text =>
        {
            try
            {
                RoleParser.Parse(text);
            }
            catch (RoleValidationException e)
            {
                return e.Errors.Count > 0;
            }
            return true;
        }).Check(Config.WithMaxTest(2000));
    }
}
