namespace Custos.Server.Tests.Policy;

/// <summary>
/// <c>custos access check|who-can|what-can</c> and <c>custos ls</c> on a small policy: alice (team=payments) holds
/// ac-developer directly and ac-dba-requester through a mapping of her team, so ac-dba is hers by request.
/// </summary>
public sealed partial class PolicyCliEndToEndTests
{
    [Fact]
    public async Task Access_questions_are_answered_with_the_policy_and_check_exits_0_when_allowed_and_1_when_denied()
    {
        await SeedAccessScenarioAsync();

        var allowed = await Admin.RunAsync("access", "check", "alice", "ssh.session", "ac-web-dev", "--login", "alice");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Matches(@"(?m)^decision:\s+allow$", allowed.Stdout);
        Assert.Matches(@"(?m)^obligations:\s+max ttl 8h", allowed.Stdout);
        Assert.Matches(@"(?m)^rules:\s+ac-developer/allow$", allowed.Stdout);

        var otherTeam = await Admin.RunAsync("access", "check", "alice", "ssh.session", "ac-web-other", "--login", "alice");
        Assert.True(otherTeam.ExitCode == 1, otherTeam.ToString());
        Assert.Matches(@"(?m)^decision:\s+deny$", otherTeam.Stdout);
        Assert.Equal("", otherTeam.Stderr);

        var root = await Admin.RunAsync("access", "check", "alice", "ssh.session", "ac-web-dev", "--login", "root");
        Assert.True(root.ExitCode == 1, root.ToString());
        Assert.Contains("root", root.Stdout, StringComparison.Ordinal);

        var database = await Admin.RunAsync("access", "check", "alice", "db.connect", "ac-pg-prod", "--db-user", "app_admin", "--db-name", "orders", "-o", "json");
        Assert.True(database.ExitCode == 1, database.ToString());
        Assert.Equal("deny", database.Json.GetProperty("decision").GetString());
        Assert.True(database.Json.GetProperty("requestable").GetBoolean());
        Assert.Equal(["ac-dba"], database.Json.GetProperty("requestable_roles").EnumerateArray().Select(r => r.GetString()));

        var json = await Admin.RunAsync("access", "check", "alice", "ssh.exec", "ac-web-dev", "--login", "alice", "--from", "10.1.2.3",
            "--at", "2030-06-03T10:00:00Z", "--mfa", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("allow", json.Json.GetProperty("decision").GetString());
        Assert.Equal("alice", json.Json.GetProperty("user").GetString());
        Assert.StartsWith("2030-06-03T10:00:00", json.Json.GetProperty("at").GetString(), StringComparison.Ordinal);

        var adminAction = await Admin.RunAsync("access", "check", "alice", "users.write", "-");
        Assert.True(adminAction.ExitCode == 1, adminAction.ToString());
        Assert.Matches(@"(?m)^resource:\s+-$", adminAction.Stdout);
        var administrator = await Admin.RunAsync("access", "check", "admin", "users.write", "-");
        Assert.True(administrator.ExitCode == 0, administrator.ToString());
        Assert.Matches(@"(?m)^rules:\s+admin/allow$", administrator.Stdout);
        var unknownRole = Fails(await Admin.RunAsync("admin", "users", "set-roles", "alice", "ac-developer,no-such-role"), 1);
        Assert.Contains("unknown role \"no-such-role\"", unknownRole.Stderr, StringComparison.Ordinal);

        // Usage errors: exit 2, never 1 (which means "denied").
        Fails(await Admin.RunAsync("access", "check", "alice", "ssh.session"), 2);
        Fails(await Admin.RunAsync("access", "check", "alice", "ssh.everything", "ac-web-dev"), 2);
        Fails(await Admin.RunAsync("access", "check", "alice", "ssh.session", "ac-web-dev", "--at", "tomorrow"), 2);
        Fails(await Admin.RunAsync("access", "check", "alice", "ssh.session", "ac-web-dev", "--from", "not-an-ip"), 2);

        var whoCan = Ok(await Admin.RunAsync("access", "who-can", "ssh.session", "ac-web-dev")).Stdout;
        Assert.Matches(@"(?m)^ac-developer\s+standing\s+ac-developer/allow\s+", whoCan);
        Assert.Matches(@"(?m)^alice\s+user\s+standing\s+.*ac-developer", whoCan);
        Assert.Matches(@"(?m)^admin\s+user\s+standing\s+admin\s", Ok(await Admin.RunAsync("access", "who-can", "users.write", "-")).Stdout);
        var whoCanJson = Ok(await Admin.RunAsync("access", "who-can", "db.connect", "ac-pg-prod", "-o", "json")).Json;
        Assert.Contains(whoCanJson.GetProperty("roles").EnumerateArray(), r => r.GetProperty("role").GetString() == "ac-dba" && r.GetProperty("mode").GetString() == "request");
        Assert.Contains(whoCanJson.GetProperty("subjects").EnumerateArray(), s => s.GetProperty("name").GetString() == "alice" && s.GetProperty("mode").GetString() == "request");

        var whatCan = Ok(await Admin.RunAsync("access", "what-can", "alice")).Stdout;
        Assert.Matches(@"(?m)^RESOURCE\s+KIND\s+MODE\s+ACTIONS\s+LOGINS\s+ROLES$", whatCan);
        Assert.Matches(@"(?m)^ac-web-dev\s+ssh_node\s+standing\s+ssh.session, ssh.exec\s+alice\s+ac-developer$", whatCan);
        Assert.Matches(@"(?m)^ac-pg-prod\s+database\s+request\s+db.connect, db.query.read\s+users app_admin; dbs \*\s+ac-dba$", whatCan);
        Assert.True(whatCan.IndexOf("ac-web-dev", StringComparison.Ordinal) < whatCan.IndexOf("ac-pg-prod", StringComparison.Ordinal), whatCan);
        Assert.DoesNotContain("ac-web-other", whatCan, StringComparison.Ordinal);
        var whatCanJson = Ok(await Admin.RunAsync("access", "what-can", "alice", "-o", "json")).Json;
        Assert.Contains("ac-dba-requester", whatCanJson.GetProperty("standing_roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("ac-dba", whatCanJson.GetProperty("requestable_roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Custos_ls_shows_a_user_without_admin_role_what_they_can_reach_and_questions_about_others_are_refused()
    {
        await SeedAccessScenarioAsync();

        var ls = Ok(await Alice.RunAsync("ls"));
        var now = ls.Stdout.IndexOf("Reachable now", StringComparison.Ordinal);
        var request = ls.Stdout.IndexOf("Needs an approved request", StringComparison.Ordinal);
        Assert.True(now >= 0 && request > now, ls.ToString());
        Assert.InRange(ls.Stdout.IndexOf("ac-web-dev", StringComparison.Ordinal), now, request);
        Assert.True(ls.Stdout.IndexOf("ac-pg-prod", StringComparison.Ordinal) > request, ls.ToString());
        Assert.DoesNotContain("ac-web-other", ls.Stdout, StringComparison.Ordinal);
        var lsJson = Ok(await Alice.RunAsync("ls", "-o", "json")).Json;
        Assert.Equal("alice", lsJson.GetProperty("user").GetString());
        Assert.Contains(lsJson.GetProperty("resources").EnumerateArray(), r => r.GetProperty("name").GetString() == "ac-web-dev" && r.GetProperty("mode").GetString() == "standing");

        // Her own questions are answered; questions about someone else need audit.read.
        Assert.Equal(0, (await Alice.RunAsync("access", "check", "alice", "ssh.session", "ac-web-dev", "--login", "alice")).ExitCode);
        Ok(await Alice.RunAsync("access", "what-can", "alice"));
        var aboutAdmin = Fails(await Alice.RunAsync("access", "what-can", "admin"), 1);
        Assert.StartsWith("custos access what-can: ", aboutAdmin.Stderr, StringComparison.Ordinal);
        Assert.Contains("audit.read", aboutAdmin.Stderr, StringComparison.Ordinal);
        var checkAdmin = Fails(await Alice.RunAsync("access", "check", "admin", "ssh.session", "ac-web-dev"), 1);
        Assert.Equal("", checkAdmin.Stdout);
        Assert.StartsWith("custos access check: ", checkAdmin.Stderr, StringComparison.Ordinal);
        Assert.Contains("audit.read", checkAdmin.Stderr, StringComparison.Ordinal);
        var whoCan = Fails(await Alice.RunAsync("access", "who-can", "ssh.session", "ac-web-dev"), 1);
        Assert.StartsWith("custos access who-can: ", whoCan.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Alice (team=payments) gets ac-developer directly (custos admin users set-roles) and ac-dba-requester through a
    /// mapping of her team; ac-dba needs a request, which ac-dba-requester may make. Idempotent: both access tests
    /// call it, in either order.
    /// </summary>
    private Task SeedAccessScenarioAsync() => installation.OnceAsync("access scenario", async () =>
    {
        Ok(await Admin.RunAsync("admin", "resources", "add", "ac-web-dev", "--kind", "ssh_node", "--address", "10.7.0.1", "--label", "env=dev", "--label", "team=payments"));
        Ok(await Admin.RunAsync("admin", "resources", "add", "ac-web-other", "--kind", "ssh_node", "--address", "10.7.0.2", "--label", "env=dev", "--label", "team=search"));
        Ok(await Admin.RunAsync("admin", "resources", "add", "ac-pg-prod", "--kind", "database", "--address", "10.7.0.3:5432", "--database", "orders",
            "--label", "env=prod", "--label", "team=payments"));
        Ok(await Admin.RunAsync("""
            kind: role
            name: ac-developer
            description: Developers reach their team's dev nodes as themselves
            allow:
              resources:
                - kind: ssh_node
                  labels: { env: dev, team: "{{user.traits.team}}" }
              actions: [ssh.session, ssh.exec]
              logins: ["{{user.name}}"]
              session: { max_ttl: 8h }
            """, ["admin", "roles", "create", "-f", "-"]));
        Ok(await Admin.RunAsync("""
            kind: role
            name: ac-dba
            description: Production databases through an approved request
            allow:
              resources:
                - kind: database
                  labels: { env: prod }
              actions: [db.connect, db.query.read]
              db_users: [app_admin]
              db_names: ["*"]
              conditions: { mfa: per_session }
              session: { max_ttl: 2h, recording: required }
            requires_request: true
            request:
              requestable_by: [ac-dba-requester]
              reviewers: { roles: [admin], approvals: 1 }
            """, ["admin", "roles", "create", "-f", "-"]));
        Ok(await Admin.RunAsync("""
            kind: role
            name: ac-dba-requester
            description: May request ac-dba
            deny:
              resources: [{ kind: ssh_node, labels: { data: pci } }]
              actions: ["ssh.*"]
            """, ["admin", "roles", "create", "-f", "-"]));
        Ok(await Admin.RunAsync("admin", "role-mappings", "add", "--trait", "team=payments", "--role", "ac-dba-requester"));
        var roles = Ok(await Admin.RunAsync("admin", "users", "set-roles", "alice", "ac-developer,user"));
        Assert.Contains("alice: roles ac-developer, user.", roles.Stdout, StringComparison.Ordinal);
    });
}
