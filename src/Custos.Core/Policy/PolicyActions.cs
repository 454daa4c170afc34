using System.Collections.Frozen;

namespace Custos.Core.Policy;

/// <summary>
/// The closed list of actions a role may allow or deny. Resource actions (<c>ssh.*</c>, <c>db.*</c>, <c>app.*</c>) apply
/// to one resource kind; admin actions apply to Custos's own objects and take no resource. Role documents may name
/// actions with the wildcards <c>*</c> and <c>prefix.*</c>; they are expanded against this list when a role is parsed,
/// so an unknown action is a validation error rather than a silent no-op.
/// </summary>
public static class PolicyActions
{
    public const string SshSession = "ssh.session";
    public const string SshExec = "ssh.exec";
    public const string SshPortForward = "ssh.port_forward";
    public const string SshFileTransfer = "ssh.file_transfer";
    public const string DbConnect = "db.connect";
    public const string DbQueryRead = "db.query.read";
    public const string DbQueryWrite = "db.query.write";
    public const string DbQueryDdl = "db.query.ddl";
    public const string AppAccess = "app.access";
    public const string UsersRead = "users.read";
    public const string UsersWrite = "users.write";
    public const string RolesRead = "roles.read";
    public const string RolesWrite = "roles.write";
    public const string ResourcesRead = "resources.read";
    public const string ResourcesWrite = "resources.write";
    public const string SessionsRead = "sessions.read";
    public const string SessionsRevoke = "sessions.revoke";
    public const string RequestsRead = "requests.read";
    public const string RequestsReview = "requests.review";
    public const string LocksRead = "locks.read";
    public const string LocksWrite = "locks.write";
    public const string AuditRead = "audit.read";

    /// <summary>Every action, in a fixed order; an action's id is its index here.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SshSession, SshExec, SshPortForward, SshFileTransfer,
        DbConnect, DbQueryRead, DbQueryWrite, DbQueryDdl,
        AppAccess,
        UsersRead, UsersWrite, RolesRead, RolesWrite, ResourcesRead, ResourcesWrite,
        SessionsRead, SessionsRevoke, RequestsRead, RequestsReview, LocksRead, LocksWrite, AuditRead,
    ];

    private static readonly FrozenDictionary<string, int> Ids =
        All.Select((name, i) => (name, i)).ToFrozenDictionary(p => p.name, p => p.i, StringComparer.Ordinal);

    public static int Count => All.Count;

    private static readonly ResourceKind?[] Kinds = [.. All.Select(KindOf)];

    internal static ResourceKind? KindById(int id) => Kinds[id];

    /// <summary>An action's position among the actions of its resource kind (<c>db.connect</c> is 0, <c>db.query.read</c> 1).</summary>
    internal static int IndexInKind(int id) => IndexesInKind[id];

    /// <summary>The most actions any resource kind has.</summary>
    internal static readonly int MaxPerKind = Kinds.OfType<ResourceKind>().CountBy(k => k).Max(p => p.Value);

    private static readonly int[] IndexesInKind = [.. Kinds.Select((kind, id) => Kinds.Take(id).Count(k => k == kind))];

    public static bool IsKnown(string action) => Ids.ContainsKey(action);

    internal static bool TryGetId(string action, out int id) => Ids.TryGetValue(action, out id);

    /// <summary>The resource kind an action applies to, or null for admin actions (which take no resource).</summary>
    public static ResourceKind? KindOf(string action) =>
        action.StartsWith("ssh.", StringComparison.Ordinal) ? ResourceKind.SshNode
        : action.StartsWith("db.", StringComparison.Ordinal) ? ResourceKind.Database
        : action.StartsWith("app.", StringComparison.Ordinal) ? ResourceKind.App
        : null;

    public static bool IsAdmin(string action) => IsKnown(action) && KindOf(action) is null;

    /// <summary>Admin actions that change state (everything but <c>*.read</c>).</summary>
    public static bool IsAdminWrite(string action) => IsAdmin(action) && !action.EndsWith(".read", StringComparison.Ordinal);

    /// <summary>
    /// The known actions a role document's entry stands for: itself, all actions for <c>*</c>, or every action that
    /// starts with <c>prefix.</c> for <c>prefix.*</c>. Empty when the entry names nothing known.
    /// </summary>
    public static IReadOnlyList<string> Expand(string pattern)
    {
        if (pattern == "*")
            return All;
        if (pattern.EndsWith(".*", StringComparison.Ordinal))
        {
            var prefix = pattern[..^1];
            if (prefix.Contains('*', StringComparison.Ordinal))
                return [];
            return All.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
        }
        return IsKnown(pattern) ? [pattern] : [];
    }
}
