namespace Custos.Core.Policy;

/// <summary>
/// The roles a new installation starts with. They are ordinary role documents — stored, listed, edited and deleted
/// like any other — written once when the policy store is new (policy version 0). <c>admin</c> administers Custos
/// itself and grants no access to resources (zero standing privilege: resource access comes from other roles, ideally
/// through requests); <c>auditor</c> reads everything and changes nothing; <c>user</c> is the default role of people
/// and grants nothing until an administrator adds to it.
/// </summary>
public static class BuiltInRoleDocuments
{
    public const string Admin = "admin";
    public const string Auditor = "auditor";
    public const string User = "user";

    public const string AdminYaml = """
        kind: role
        name: admin
        description: Administers Custos itself (users, roles, resources, sessions, requests, locks, audit); no access to resources
        allow:
          actions: [users.*, roles.*, resources.*, sessions.*, requests.*, locks.*, audit.read]
        """;

    public const string AuditorYaml = """
        kind: role
        name: auditor
        description: Reads the audit log, the inventory, roles, users, sessions, requests and locks; changes nothing
        allow:
          actions: [audit.read, users.read, roles.read, resources.read, sessions.read, requests.read, locks.read]
        """;

    public const string UserYaml = """
        kind: role
        name: user
        description: The default role of people; grants nothing by itself (edit it to give everyone a baseline)
        allow: []
        """;

    /// <summary>The three documents, parsed.</summary>
    public static IReadOnlyList<RoleDocument> All { get; } = [RoleParser.Parse(AdminYaml), RoleParser.Parse(AuditorYaml), RoleParser.Parse(UserYaml)];
}
