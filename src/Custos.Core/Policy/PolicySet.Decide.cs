using System.Runtime.CompilerServices;
using Custos.Core.Policy.Compiled;

namespace Custos.Core.Policy;

/// <summary>
/// Decisions. The common answers are made once and shared rather than built per call: "no role allows" per resource
/// and action (on the resource index), "denied by" and "allowed by" a single rule (on the rule), "allowed by" several
/// rules (on the resolved subject, the last such answer per action). Answers that name the context (an unmet
/// condition) or a request are built per call.
/// </summary>
public sealed partial class PolicySet
{
    /// <summary>"No role allows" for each admin action (they take no resource).</summary>
    private static readonly Decision?[] NoRoleAllowsAdmin =
        [.. PolicyActions.All.Select(a => PolicyActions.KindOf(a) is null ? DecisionBuilder.NoRoleAllows(a, null) : null)];

    /// <summary>
    /// As <see cref="Decide(PolicySubject, string, string?, DecisionContext)"/>; the resource is looked up by name and
    /// the labels of the compiled inventory are used (the inventory is the source of truth, not the caller's copy).
    /// </summary>
    public Decision Decide(PolicySubject subject, string action, PolicyResource? resource, DecisionContext context) =>
        Decide(subject, action, resource?.Name, context);

    /// <summary>
    /// May <paramref name="subject"/> do <paramref name="action"/> on the resource named <paramref name="resource"/>
    /// (null for admin actions) in <paramref name="context"/>? Locks first, then deny rules of every assigned role,
    /// then allow rules of standing roles (conditions gate each rule), then roles obtainable by request.
    /// </summary>
    public Decision Decide(PolicySubject subject, string action, string? resource, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(context);
        // Read first so that this cache miss overlaps the resource lookup's rather than following it: with a large
        // inventory and many subjects a decision is bound by memory latency, not by instructions.
        var last = subject.LastResolved;
        if (!PolicyActions.TryGetId(action, out var actionId))
            return DecisionBuilder.UnknownAction(action);
        var kind = PolicyActions.KindById(actionId);
        var slot = -1;
        ReadOnlySpan<int> row = default;
        Decision? noRoleAllows = null;
        if (kind is not null)
        {
            if (resource is null)
                return DecisionBuilder.MissingResource(action);
            if (!_index.TryFind(resource, out slot))
                return DecisionBuilder.UnknownResource(resource);
            row = _index.Row(slot);
            if (row[0] != (int)kind)
                return DecisionBuilder.NotApplicable(action, _index.ResourceAt(slot).Resource);
            // The most common answer, read now (like the subject's memo) so its cache miss overlaps the rules' rather than following them.
            noRoleAllows = _index.CachedNoRoleAllows(slot, actionId);
        }
        if (_locks?.FindLock(subject, action, slot >= 0 ? _index.ResourceAt(slot).Resource : null) is { } lockDescription)
            return DecisionBuilder.Locked(lockDescription);

        var resolved = Resolve(subject, last);
        var steps = resolved.Program.Steps;
        var (i, end) = resolved.Program.RangeOf(actionId);
        for (; i < end && steps[i].Section == RuleSection.Deny; i = steps[i].Next)
        {
            var deny = steps[i].Rule!;
            if (RuleProgram.Matches(steps, i, row) && deny.DeniesTargets(kind, context))
                return deny.Denied;
        }

        var allowed = new AllowedRules();
        var allowedCount = 0;
        List<CompiledRule>? manyAllowed = null;
        CompiledRule? unmetRule = null;
        UnmetCondition unmet = default;
        for (; i < end && steps[i].Section == RuleSection.Allow; i = steps[i].Next)
        {
            if (!RuleProgram.Matches(steps, i, row))
                continue;
            var allow = steps[i].Rule!;
            var failed = allow.UnmetTarget(kind, context) ?? allow.UnmetConditionOf(context);
            if (failed is null)
            {
                if (allowedCount < AllowedRules.Length)
                    allowed[allowedCount] = allow;
                else
                    (manyAllowed ??= [.. allowed]).Add(allow);
                allowedCount++;
            }
            else if (unmetRule is null)
            {
                unmetRule = allow;
                unmet = failed.Value;
            }
        }
        if (allowedCount == 1)
            return allowed[0].AllowedAlone;
        if (allowedCount > 1)
            return manyAllowed is null ? resolved.AllowedTogether(actionId, allowed[..allowedCount]) : CompiledRule.AllowedTogether(manyAllowed);

        for (; i < end; i = steps[i].Next)
        {
            if (RuleProgram.Matches(steps, i, row))
            {
                var target = slot >= 0 ? _index.ResourceAt(slot) : null;
                if (Requestable(resolved.ByAction[actionId].Requestable, target, kind, context) is { } requestable)
                    return requestable;
                break;
            }
        }
        if (unmetRule is not null)
            return DecisionBuilder.Unmet(unmetRule.RefList, unmet, unmetRule.Mfa, context);
        return noRoleAllows ?? (slot >= 0 ? _index.NoRoleAllows(slot, actionId) : NoRoleAllowsAdmin[actionId]!);
    }

    /// <summary>The allow rules that allowed a request, on the stack while there are few (a list past that).</summary>
    [InlineArray(Length)]
    private struct AllowedRules
    {
        public const int Length = 8;

        private CompiledRule _rule;
    }

    /// <summary>Roles a request could add that allow this (conditions apply when the grant is used, not now).</summary>
    private static Decision? Requestable(RequestableRole[] candidates, CompiledResource? target, ResourceKind? kind, DecisionContext context)
    {
        List<string>? roles = null;
        List<RuleRef>? refs = null;
        foreach (var candidate in candidates)
        {
            var denied = false;
            foreach (var deny in candidate.Deny)
            {
                if (deny.MatchesResource(target) && deny.DeniesTargets(kind, context))
                {
                    denied = true;
                    break;
                }
            }
            if (denied)
                continue;
            var added = false;
            foreach (var allow in candidate.Allow)
            {
                if (allow.MatchesResource(target) && allow.UnmetTarget(kind, context) is null)
                {
                    if (!added)
                        (roles ??= []).Add(candidate.Name);
                    added = true;
                    (refs ??= []).Add(allow.Ref);
                }
            }
        }
        return roles is null ? null : DecisionBuilder.RequiresRequest(roles, refs!);
    }
}
