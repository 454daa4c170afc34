namespace Custos.Core.Policy.Compiled;

/// <summary>
/// A role compiled against the resource index. Rules without trait templates are compiled here once; rules with
/// templates keep their source and are compiled per subject signature.
/// </summary>
internal sealed class CompiledRole
{
    private readonly Slot[] _allow;
    private readonly Slot[] _deny;

    public CompiledRole(RoleDocument document, ResourceIndex index)
    {
        Document = document;
        _allow = [.. document.Allow.Select((r, i) => Slot.Of(r, new RuleRef(document.Name, document.AllowPath(i)), false, index))];
        _deny = [.. document.Deny.Select((r, i) => Slot.Of(r, new RuleRef(document.Name, document.DenyPath(i)), true, index))];
        Variables = [.. document.Allow.Concat(document.Deny).SelectMany(RuleCompiler.Variables).Distinct(StringComparer.Ordinal)];
    }

    public RoleDocument Document { get; }

    public string Name => Document.Name;

    public bool RequiresRequest => Document.RequiresRequest;

    /// <summary>Template variables the role reads (<c>user.name</c>, <c>user.traits.team</c>, …).</summary>
    public string[] Variables { get; }

    public bool HasTemplates => Variables.Length > 0;

    public CompiledRule[] Allow(PolicySubject subject, ResourceIndex index) => Resolve(_allow, false, subject, index);

    public CompiledRule[] Deny(PolicySubject subject, ResourceIndex index) => Resolve(_deny, true, subject, index);

    /// <summary>The rules that need no subject (null entries for templated rules).</summary>
    public IEnumerable<(CompiledRule? Rule, RoleRule Source, RuleRef Ref)> StaticAllow => _allow.Select(s => (s.Static, s.Source, s.Ref));

    public IEnumerable<(CompiledRule? Rule, RoleRule Source, RuleRef Ref)> StaticDeny => _deny.Select(s => (s.Static, s.Source, s.Ref));

    private static CompiledRule[] Resolve(Slot[] slots, bool isDeny, PolicySubject subject, ResourceIndex index)
    {
        var rules = new CompiledRule[slots.Length];
        for (var i = 0; i < slots.Length; i++)
            rules[i] = slots[i].Static ?? RuleCompiler.Compile(slots[i].Source, slots[i].Ref, isDeny, subject, index);
        return rules;
    }

    private sealed record Slot(RoleRule Source, RuleRef Ref, CompiledRule? Static)
    {
        public static Slot Of(RoleRule rule, RuleRef reference, bool isDeny, ResourceIndex index) =>
            new(rule, reference, RuleCompiler.HasTemplates(rule) ? null : RuleCompiler.Compile(rule, reference, isDeny, null, index));
    }
}

/// <summary>A role the subject could obtain through an approved request, with its rules for one action.</summary>
internal sealed record RequestableRole(string Name, CompiledRule[] Allow, CompiledRule[] Deny);

/// <summary>What a subject's roles say about one action: deny rules of every assigned role, allow rules of standing roles, requestable roles.</summary>
internal readonly record struct ActionRules(CompiledRule[] Deny, CompiledRule[] Allow, RequestableRole[] Requestable)
{
    public static readonly ActionRules Empty = new([], [], []);
}

/// <summary>
/// A subject resolved against a policy set: its roles (direct and mapped) split into standing and requestable, and
/// the compiled rules per action, also as a <see cref="RuleProgram"/> for decisions. Cached per subject signature and
/// on the subject, so a decision does not look at other roles.
/// </summary>
internal sealed class ResolvedSubject(object owner, RuleProgram program)
{
    /// <summary>The policy set's token: a subject's memo of this resolution is valid only for that set.</summary>
    public object Owner { get; } = owner;

    /// <summary>A field, so reading it copies nothing: the action ranges live inline here, which saves a dependent cache miss.</summary>
    public readonly RuleProgram Program = program;

    public required string[] StandingRoles { get; init; }

    public required string[] RequestableRoles { get; init; }

    public required ActionRules[] ByAction { get; init; }

    public required CompiledRule[] AllDeny { get; init; }

    public required CompiledRule[] AllAllow { get; init; }

    public required RequestableRole[] AllRequestable { get; init; }

    /// <summary>Per action, the last decision several allow rules made together (made when first needed).</summary>
    private AllowedBy?[]? _allowedTogether;

    /// <summary>The decision of <paramref name="rules"/> allowing together; the last one for the action if the same rules match again.</summary>
    public Decision AllowedTogether(int actionId, ReadOnlySpan<CompiledRule> rules)
    {
        var memo = _allowedTogether;
        if (memo is null)
        {
            var empty = new AllowedBy?[PolicyActions.Count];
            memo = Interlocked.CompareExchange(ref _allowedTogether, empty, null) ?? empty;
        }
        if (memo[actionId] is { } last && rules.SequenceEqual(last.Rules))
            return last.Decision;
        CompiledRule[] together = [.. rules];
        var made = new AllowedBy(together, CompiledRule.AllowedTogether(together));
        Volatile.Write(ref memo[actionId], made);
        return made.Decision;
    }

    private sealed record AllowedBy(CompiledRule[] Rules, Decision Decision);
}
