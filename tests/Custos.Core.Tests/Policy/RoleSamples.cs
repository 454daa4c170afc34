namespace Custos.Core.Tests.Policy;

/// <summary>The normative sample and the worked examples of docs/policy.md (kept identical to the docs).</summary>
public static class RoleSamples
{
    public const string Dba = """
        kind: role
        name: dba
        description: Database administrators; production only through an approved request
        allow:
          resources:
            - kind: database
              labels: { env: [prod, staging], team: "{{user.traits.team}}" }
          actions: [db.connect, db.query.read, db.query.write]
          db_users: [app_admin]
          db_names: ["*"]
          conditions:
            mfa: per_session            # none | login | per_session
            source_networks: [10.0.0.0/8]
            time_windows: [{ days: mon-fri, hours: "08:00-20:00", tz: Europe/Berlin }]
          session: { max_ttl: 2h, recording: required, moderated: false, idle_timeout: 15m }
        deny:
          resources: [{ kind: database, labels: { data: pci } }]
          actions: [db.query.ddl]
        requires_request: true
        request:
          requestable_by: [dba-requester]
          reviewers: { roles: [dba-lead], approvals: 2 }
        """;

    public const string DeveloperOnCall = """
        kind: role
        name: developer-oncall
        description: On-call developers reach their team's staging nodes any time, production only with MFA and recording
        allow:
          - resources:
              - kind: ssh_node
                labels: { env: [dev, staging], team: "{{user.traits.team}}" }
            actions: [ssh.session, ssh.exec, ssh.port_forward]
            logins: ["{{user.name}}", deploy]
            session: { max_ttl: 8h, idle_timeout: 30m }
          - resources:
              - kind: ssh_node
                labels: { env: prod, team: "{{user.traits.team}}" }
            actions: [ssh.session]
            logins: ["{{user.name}}"]
            conditions: { mfa: per_session }
            session: { max_ttl: 1h, recording: required, idle_timeout: 10m }
        deny:
          resources: [{ kind: ssh_node, labels: { data: pci } }]
          actions: ["ssh.*"]
        """;

    public const string VendorTimeWindow = """
        kind: role
        name: vendor-acme
        description: ACME's support engineers, on ACME's appliances only, during the support window, moderated
        allow:
          resources:
            - kind: ssh_node
              labels: { vendor: acme, env: "!prod" }
          actions: [ssh.session, ssh.file_transfer]
          logins: [acme-support]
          conditions:
            mfa: login
            source_networks: [203.0.113.0/24, "2001:db8::/32"]
            time_windows:
              - { days: mon-fri, hours: "09:00-17:00", tz: America/New_York }
          session: { max_ttl: 4h, recording: required, moderated: true, idle_timeout: 15m }
        """;

    public const string CiBot = """
        kind: role
        name: ci-deployer
        description: The CI pipeline deploys to web nodes from the build network
        allow:
          resources:
            - kind: ssh_node
              labels: { role: "web-*", env: [staging, prod] }
          actions: [ssh.exec, ssh.file_transfer]
          logins: [deploy]
          conditions:
            source_networks: [10.20.0.0/16]
          session: { max_ttl: 15m, recording: required }
        deny:
          resources: [{ kind: ssh_node }]
          actions: [ssh.session, ssh.port_forward]
        """;

    public const string AgentReadOnly = """
        kind: role
        name: agent-readonly
        description: An AI agent may read analytics databases, never write, never production PCI data
        allow:
          resources:
            - kind: database
              labels: { team: analytics, env: "/(dev|staging)(-[a-z0-9]+)?/" }
          actions: [db.connect, db.query.read]
          db_users: [readonly]
          db_names: ["analytics_*"]
          session: { max_ttl: 30m, recording: required }
        deny:
          resources: [{ kind: database, labels: { data: [pci, pii] } }]
          actions: ["db.*"]
        """;

    public const string Auditor = """
        kind: role
        name: auditor
        description: Reads the audit log and sessions
        allow:
          actions: [audit.read, sessions.read, users.read, roles.read, resources.read]
        """;

    public static readonly string[] All = [Dba, DeveloperOnCall, VendorTimeWindow, CiBot, AgentReadOnly, Auditor];
}
