namespace Custos.Core.Policy;

/// <summary>What a resource is; decides which actions apply to it.</summary>
public enum ResourceKind
{
    SshNode,
    Database,
    App,
}

/// <summary>Wire names of <see cref="ResourceKind"/> (<c>ssh_node</c>, <c>database</c>, <c>app</c>).</summary>
public static class ResourceKindNames
{
    public static string ToName(this ResourceKind kind) => kind switch
    {
        ResourceKind.SshNode => "ssh_node",
        ResourceKind.Database => "database",
        ResourceKind.App => "app",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? name, out ResourceKind kind)
    {
        switch (name)
        {
            case "ssh_node": kind = ResourceKind.SshNode; return true;
            case "database": kind = ResourceKind.Database; return true;
            case "app": kind = ResourceKind.App; return true;
            default: kind = default; return false;
        }
    }
}

/// <summary>
/// A resource as the policy sees it: a unique name, a kind and labels. Connection details (address, port, host key)
/// belong to the inventory and do not influence decisions.
/// </summary>
public sealed record PolicyResource(string Name, ResourceKind Kind, IReadOnlyDictionary<string, string> Labels)
{
    public PolicyResource(string name, ResourceKind kind)
        : this(name, kind, new Dictionary<string, string>(StringComparer.Ordinal))
    {
    }
}
