namespace Custos.Core.Policy;

public enum Effect
{
    Deny,
    Allow,
}

/// <summary>Why a decision came out as it did, in the order the engine checks (see docs/policy.md).</summary>
public enum DecisionReason
{
    /// <summary>At least one standing role's allow rule matched and none of the role's deny rules did.</summary>
    Allowed,
    UnknownAction,
    /// <summary>A resource action without a resource, or a resource that is not in the inventory.</summary>
    UnknownResource,
    /// <summary>The action belongs to another resource kind (<c>db.connect</c> on an <c>ssh_node</c>).</summary>
    ActionNotApplicable,
    Locked,
    DeniedByRule,
    /// <summary>Only a role that requires an approved request allows it.</summary>
    RequiresRequest,
    /// <summary>An allow rule matched the resource and action, but one of its conditions or targets was not met.</summary>
    ConditionUnmet,
    NoRoleAllows,
}

/// <summary>The condition or target of an allow rule that was not met.</summary>
public enum UnmetCondition
{
    Login,
    DbUser,
    DbName,
    Mfa,
    SourceNetwork,
    TimeWindow,
}

/// <summary>A rule of a role: <c>allow</c>, <c>allow[1]</c>, <c>deny</c>, …, as the document path names it.</summary>
public sealed record RuleRef(string Role, string Rule)
{
    public override string ToString() => $"{Role}/{Rule}";
}

/// <summary>
/// What the caller must do when it acts on an allow: merged over every allow rule that matched (the shortest
/// <see cref="MaxTtl"/> and <see cref="IdleTimeout"/>; MFA, recording and moderation if any rule requires them).
/// Null durations mean the policy sets no bound (the server's defaults apply).
/// </summary>
public sealed record Obligations(
    TimeSpan? MaxTtl,
    MfaLevel Mfa,
    bool RecordingRequired,
    bool Moderated,
    TimeSpan? IdleTimeout)
{
    public static Obligations None { get; } = new(null, MfaLevel.None, false, false, null);
}

/// <summary>
/// Which rules decided and why. <see cref="Rules"/> holds the allow rules that matched (allow), the deny rule that
/// matched (deny), the rule whose condition was unmet, or the rules of requestable roles. <see cref="Message"/> is
/// formatted when first read, so a decision nobody explains costs no string formatting.
/// </summary>
public sealed class Explanation : IEquatable<Explanation>
{
    private readonly ExplanationDetails _details;
    private string? _message;

    public Explanation(DecisionReason reason, IReadOnlyList<RuleRef> rules, UnmetCondition? condition, string message)
        : this(reason, rules, condition, default(ExplanationDetails))
    {
        ArgumentNullException.ThrowIfNull(message);
        _message = message;
    }

    internal Explanation(DecisionReason reason, IReadOnlyList<RuleRef> rules, UnmetCondition? condition, ExplanationDetails details)
    {
        Reason = reason;
        Rules = rules;
        Condition = condition;
        _details = details;
    }

    public DecisionReason Reason { get; }

    public IReadOnlyList<RuleRef> Rules { get; }

    public UnmetCondition? Condition { get; }

    public string Message => _message ??= DecisionBuilder.Format(this, _details);

    public bool Equals(Explanation? other) =>
        other is not null && Reason == other.Reason && Condition == other.Condition && Message == other.Message
        && Rules.SequenceEqual(other.Rules);

    public override bool Equals(object? obj) => Equals(obj as Explanation);

    public override int GetHashCode() => HashCode.Combine(Reason, Condition, Rules.Count);

    public override string ToString() => Message;

    public static bool operator ==(Explanation? left, Explanation? right) => left?.Equals(right) ?? right is null;

    public static bool operator !=(Explanation? left, Explanation? right) => !(left == right);
}

/// <summary>What a message needs besides the reason and rules (kept unformatted until asked for).</summary>
internal readonly record struct ExplanationDetails(
    string? Action,
    PolicyResource? Resource,
    string? Text,
    DecisionContext? Context,
    MfaLevel RequiredMfa,
    IReadOnlyList<string>? Roles);

/// <summary>
/// The answer to "may this subject do this action on this resource, now?". Deny overrides allow; nothing is allowed by
/// default. <see cref="Requestable"/> marks a deny that an approved request for one of <see cref="RequestableRoles"/>
/// would turn into an allow.
/// </summary>
public sealed record Decision(
    Effect Effect,
    bool Requestable,
    IReadOnlyList<string> RequestableRoles,
    Obligations Obligations,
    Explanation Explanation)
{
    public bool IsAllowed => Effect == Effect.Allow;

    public bool Equals(Decision? other) =>
        other is not null && Effect == other.Effect && Requestable == other.Requestable
        && Obligations == other.Obligations && Explanation == other.Explanation
        && RequestableRoles.SequenceEqual(other.RequestableRoles);

    public override int GetHashCode() => HashCode.Combine(Effect, Requestable, Obligations, Explanation);

    public override string ToString() => $"{Effect}{(Requestable ? " (requestable)" : "")}: {Explanation.Message}";
}
