namespace Custos.Core.Policy;

/// <summary>
/// Locks (a later issue) plug in here: the engine asks before it looks at any role, and a lock denies with its
/// description as the explanation. Implementations must be fast and thread-safe; they are called on every decision.
/// </summary>
public interface ILockChecker
{
    /// <summary>A description of the lock that applies (shown in the explanation), or null when none does.</summary>
    string? FindLock(PolicySubject subject, string action, PolicyResource? resource);
}
