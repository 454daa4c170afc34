using System.Numerics;
using System.Runtime.CompilerServices;

namespace Custos.Core.Policy.Compiled;

/// <summary>Which of a subject's rule lists for an action a rule of a <see cref="RuleProgram"/> comes from.</summary>
internal enum RuleSection : byte
{
    Deny,
    Allow,
    /// <summary>An allow rule of a role the subject could obtain by request.</summary>
    Requestable,
}

/// <summary>
/// One step of a <see cref="RuleProgram"/>. A rule step (section, rule, index past the rule) is followed by its
/// clauses; a clause step (one selector of the rule, index past the clause) is followed by its label tests; a label
/// test reads one value id of the resource's row and checks it against one or two ids, or a bit set when it accepts more.
/// </summary>
internal readonly struct MatchStep
{
    private readonly int _index;
    private readonly int _first;
    private readonly int _second;

    private MatchStep(RuleSection section, bool matchesMissing, int index, int first, int second, CompiledRule? rule, ulong[]? bits)
    {
        Section = section;
        MatchesMissing = matchesMissing;
        _index = index;
        _first = first;
        _second = second;
        Rule = rule;
        Bits = bits;
    }

    public RuleSection Section { get; }

    public CompiledRule? Rule { get; }

    /// <summary>For a rule or clause: the index of the step after it.</summary>
    public int Next => _index;

    private bool MatchesMissing { get; }

    private ulong[]? Bits { get; }

    public static MatchStep RuleStart(RuleSection section, CompiledRule rule, int next) => new(section, false, next, -1, -1, rule, null);

    public static MatchStep ClauseStart(int next) => new(default, false, next, -1, -1, null, null);

    /// <summary>A label test, or null when the constraint accepts no resource that has the key or lacks it.</summary>
    public static MatchStep? LabelTest(CompiledLabel label)
    {
        var bits = label.Bits;
        var count = 0;
        foreach (var word in bits)
            count += BitOperations.PopCount(word);
        if (count == 0 && !label.MatchesMissing)
            return null;
        if (count > 2)
            return new(default, label.MatchesMissing, 1 + label.KeyId, -1, -1, null, bits);
        var first = -1;
        var second = -1;
        for (var i = 0; i < bits.Length * 64; i++)
        {
            if ((bits[i >> 6] & (1UL << i)) == 0)
                continue;
            if (first < 0)
                first = i;
            else
                second = i;
        }
        return new(default, label.MatchesMissing, 1 + label.KeyId, first, second, null, null);
    }

    /// <summary>For a label test: whether the resource whose row is <paramref name="row"/> meets it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Accepts(ReadOnlySpan<int> row)
    {
        var value = row[_index];
        if (value < 0)
            return MatchesMissing;
        return Bits is null ? value == _first || value == _second : (Bits[value >> 6] & (1UL << value)) != 0;
    }
}

/// <summary>
/// The resource side of a resolved subject's rules, per action, flattened into one array that a decision reads front
/// to back: deny rules, allow rules, then allow rules of requestable roles, each with the selectors and label tests
/// that can apply to the action's resource kind. It replaces a chase through rule, selectors, labels and bit sets,
/// objects scattered over the heap, which cost a cache miss each. Selectors of another kind, match-all constraints and
/// constraints that no resource can meet are dropped when the program is built; an admin action's rules (no resource)
/// get one empty clause, which always matches. Actions with the same rules share their steps.
/// </summary>
internal readonly struct RuleProgram
{
    private const int MaxActions = 32;

    private readonly MatchStep[] _steps;
    private readonly ActionRanges _ranges;

    private RuleProgram(MatchStep[] steps, ActionRanges ranges)
    {
        _steps = steps;
        _ranges = ranges;
    }

    public ReadOnlySpan<MatchStep> Steps => _steps;

    /// <summary>The steps of an action: <c>[Start, End)</c> of <see cref="Steps"/>.</summary>
    public StepRange RangeOf(int actionId) => _ranges[actionId];

    /// <summary>Whether the rule whose step is at <paramref name="rule"/> covers the resource whose row is <paramref name="row"/>.</summary>
    public static bool Matches(ReadOnlySpan<MatchStep> steps, int rule, ReadOnlySpan<int> row)
    {
        var end = steps[rule].Next;
        var clause = rule + 1;
        while (clause < end)
        {
            var next = steps[clause].Next;
            var test = clause + 1;
            while (test < next && steps[test].Accepts(row))
                test++;
            if (test == next)
                return true;
            clause = next;
        }
        return false;
    }

    public static RuleProgram Build(ActionRules[] byAction)
    {
        if (byAction.Length > MaxActions)
            throw new InvalidOperationException($"A rule program holds at most {MaxActions} actions; raise MaxActions.");
        var steps = new List<MatchStep>();
        var ranges = new ActionRanges();
        for (var id = 0; id < byAction.Length; id++)
        {
            var kind = PolicyActions.KindById(id);
            var same = Enumerable.Range(0, id).FirstOrDefault(other => PolicyActions.KindById(other) == kind && Same(byAction[other], byAction[id]), -1);
            if (same >= 0)
            {
                ranges[id] = ranges[same];
                continue;
            }
            var start = steps.Count;
            var rules = byAction[id];
            foreach (var deny in rules.Deny)
                Add(steps, RuleSection.Deny, deny, kind);
            foreach (var allow in rules.Allow)
                Add(steps, RuleSection.Allow, allow, kind);
            foreach (var candidate in rules.Requestable)
            {
                foreach (var allow in candidate.Allow)
                    Add(steps, RuleSection.Requestable, allow, kind);
            }
            ranges[id] = new StepRange(start, steps.Count);
        }
        return new RuleProgram([.. steps], ranges);
    }

    private static bool Same(ActionRules a, ActionRules b) =>
        a.Deny.SequenceEqual(b.Deny) && a.Allow.SequenceEqual(b.Allow)
        && a.Requestable.SelectMany(r => r.Allow).SequenceEqual(b.Requestable.SelectMany(r => r.Allow));

    private static void Add(List<MatchStep> steps, RuleSection section, CompiledRule rule, ResourceKind? kind)
    {
        var start = steps.Count;
        steps.Add(default);
        if (kind is null)
        {
            steps.Add(MatchStep.ClauseStart(steps.Count + 1));
        }
        else
        {
            foreach (var selector in rule.Selectors)
            {
                if (selector.Kind is { } k && k != kind)
                    continue;
                AddClause(steps, selector);
            }
        }
        if (steps.Count == start + 1)
            steps.RemoveAt(start);
        else
            steps[start] = MatchStep.RuleStart(section, rule, steps.Count);
    }

    private static void AddClause(List<MatchStep> steps, CompiledSelector selector)
    {
        var start = steps.Count;
        steps.Add(default);
        foreach (var label in selector.Labels)
        {
            if (label.MatchAll || (label.KeyId < 0 && label.MatchesMissing))
                continue;
            if (label.KeyId < 0 || MatchStep.LabelTest(label) is not { } test)
            {
                steps.RemoveRange(start, steps.Count - start);
                return;
            }
            steps.Add(test);
        }
        steps[start] = MatchStep.ClauseStart(steps.Count);
    }

    [InlineArray(MaxActions)]
    private struct ActionRanges
    {
        private StepRange _range;
    }
}

internal readonly record struct StepRange(int Start, int End);
