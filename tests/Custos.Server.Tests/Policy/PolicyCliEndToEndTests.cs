using System.Text.Json;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Policy;

/// <summary>
/// The policy commands of the real <c>custos</c> executable against a real <c>custos serve</c>: the inventory, role
/// documents, role mappings and the questions (check, who-can, what-can, ls), as an administrator and as alice, a
/// user without the admin role. The tests share one installation, so each works on names of its own; the access
/// questions are in PolicyCliEndToEndTests.Access.cs.
/// </summary>
public sealed partial class PolicyCliEndToEndTests(PolicyCliInstallation installation) : IClassFixture<PolicyCliInstallation>
{
    private CliHome Admin => installation.Admin;

    private CliHome Alice => installation.Alice;

    [Fact]
    public async Task Resources_are_added_listed_shown_and_removed()
    {
        var added = Ok(await Admin.RunAsync("admin", "resources", "add", "rs-web", "--kind", "ssh_node", "--address", "10.9.0.5:22",
            "--label", "suite=resources", "--label", "env=test", "--host-key-fingerprint", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
        Assert.Contains("Created ssh_node rs-web (10.9.0.5:22; labels: env=test, suite=resources).", added.Stdout, StringComparison.Ordinal);
        Ok(await Admin.RunAsync("admin", "resources", "add", "rs-pg", "--kind", "database", "--address", "pg.test.internal:5432",
            "--database", "orders", "--database", "billing", "--label", "suite=resources"));
        Ok(await Admin.RunAsync("admin", "resources", "add", "rs-grafana", "--kind", "app", "--url", "https://grafana.test.internal", "--label", "suite=resources"));

        var table = Ok(await Admin.RunAsync("admin", "resources", "ls", "--label", "suite=resources")).Stdout;
        Assert.Matches(@"(?m)^NAME\s+KIND\s+ADDRESS\s+LABELS\s+REVISION$", table);
        Assert.Matches(@"(?m)^rs-grafana\s+app\s+https://grafana.test.internal\s+suite=resources\s+1$", table);
        Assert.Matches(@"(?m)^rs-pg\s+database\s+pg.test.internal:5432\s+suite=resources\s+1$", table);
        Assert.Matches(@"(?m)^rs-web\s+ssh_node\s+10.9.0.5:22\s+env=test, suite=resources\s+1$", table);

        var databases = Ok(await Admin.RunAsync("admin", "resources", "ls", "--kind", "database", "--label", "suite=resources", "-o", "json")).Json;
        var pg = Assert.Single(databases.GetProperty("resources").EnumerateArray());
        Assert.Equal("rs-pg", pg.GetProperty("name").GetString());
        Assert.Equal(["orders", "billing"], pg.GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.Empty(Ok(await Admin.RunAsync("admin", "resources", "ls", "--label", "suite=nothing", "-o", "json")).Json.GetProperty("resources").EnumerateArray());

        var shown = Ok(await Admin.RunAsync("admin", "resources", "show", "rs-web")).Stdout;
        Assert.Matches(@"(?m)^kind:\s+ssh_node$", shown);
        Assert.Matches(@"(?m)^address:\s+10.9.0.5:22$", shown);
        Assert.Matches(@"(?m)^host key:\s+SHA256:47DEQpj8HBSa\+/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU$", shown);
        Assert.Matches(@"(?m)^labels:\s+env=test, suite=resources$", shown);
        var json = Ok(await Admin.RunAsync("admin", "resources", "show", "rs-grafana", "-o", "json")).Json;
        Assert.Equal("https://grafana.test.internal", json.GetProperty("url").GetString());
        Assert.Equal("resources", json.GetProperty("labels").GetProperty("suite").GetString());

        Assert.Contains("rs-grafana: deleted.", Ok(await Admin.RunAsync("admin", "resources", "rm", "rs-grafana")).Stdout, StringComparison.Ordinal);
        var gone = Fails(await Admin.RunAsync("admin", "resources", "show", "rs-grafana"), 1);
        Assert.StartsWith("custos admin resources show: ", gone.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "resources", "rm", "rs-grafana"), 1);

        // Usage errors are caught before anything is sent.
        var noAddress = Fails(await Admin.RunAsync("admin", "resources", "add", "rs-x", "--kind", "ssh_node"), 2);
        Assert.Contains("--kind ssh_node needs --address", noAddress.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "resources", "add", "rs-x", "--kind", "ssh_node", "--address", "h", "--label", "env=a", "--label", "env=b"), 2);
        var duplicate = Fails(await Admin.RunAsync("admin", "resources", "add", "rs-web", "--kind", "ssh_node", "--address", "10.9.0.9"), 1);
        Assert.StartsWith("custos admin resources add: ", duplicate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_twice_is_idempotent_and_export_then_import_round_trips()
    {
        Ok(await Admin.RunAsync("admin", "resources", "add", "io-web", "--kind", "ssh_node", "--address", "10.8.0.1:2222", "--label", "suite=io", "--trust-host-ca"));
        Ok(await Admin.RunAsync("admin", "resources", "add", "io-pg", "--kind", "database", "--address", "io-pg.internal", "--database", "ledger", "--label", "suite=io"));
        var before = Ok(await Admin.RunAsync("admin", "resources", "ls", "--label", "suite=io", "-o", "json")).Json.GetProperty("resources").Clone();

        var exportFile = installation.File("io-export.yaml");
        var exported = Ok(await Admin.RunAsync("admin", "resources", "export", "-o", exportFile));
        var count = int.Parse(System.Text.RegularExpressions.Regex.Match(exported.Stdout, @"Exported (\d+) resource").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count >= 2, exported.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(exportFile));
        var exportText = await File.ReadAllTextAsync(exportFile, TestContext.Current.CancellationToken);
        Assert.Contains("io-web", exportText, StringComparison.Ordinal);
        Assert.Equal(exportText, Ok(await Admin.RunAsync("admin", "resources", "export")).Stdout);

        // The export imports as it is: nothing changes.
        Assert.Contains($"0 created, 0 updated, {count} unchanged.", Ok(await Admin.RunAsync("admin", "resources", "import", exportFile)).Stdout, StringComparison.Ordinal);

        // Removed resources come back from the export, exactly as they were; a second import changes nothing.
        Ok(await Admin.RunAsync("admin", "resources", "rm", "io-web"));
        Ok(await Admin.RunAsync("admin", "resources", "rm", "io-pg"));
        var first = Ok(await Admin.RunAsync("admin", "resources", "import", exportFile));
        Assert.Contains($"Imported {exportFile}: 2 created, 0 updated, {count - 2} unchanged.", first.Stdout, StringComparison.Ordinal);
        var second = Ok(await Admin.RunAsync("admin", "resources", "import", exportFile));
        Assert.Contains($"Imported {exportFile}: 0 created, 0 updated, {count} unchanged.", second.Stdout, StringComparison.Ordinal);
        var after = Ok(await Admin.RunAsync("admin", "resources", "ls", "--label", "suite=io", "-o", "json")).Json.GetProperty("resources");
        Assert.Equal(Content(before), Content(after));
        Assert.Equal(exportText, Ok(await Admin.RunAsync("admin", "resources", "export")).Stdout);

        // An edited export updates what changed (from standard input too).
        var edited = exportText.Replace("10.8.0.1:2222", "10.8.0.2:2222", StringComparison.Ordinal);
        var update = Ok(await Admin.RunAsync(edited, ["admin", "resources", "import", "-"]));
        Assert.Contains($"Imported standard input: 0 created, 1 updated, {count - 1} unchanged.", update.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^address:\s+10.8.0.2:2222$", Ok(await Admin.RunAsync("admin", "resources", "show", "io-web")).Stdout);

        var missing = Fails(await Admin.RunAsync("admin", "resources", "import", installation.File("no-such.yaml")), 3);
        Assert.Contains("no-such.yaml: no such file", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importing_a_written_inventory_twice_creates_then_reports_everything_unchanged()
    {
        var file = await WriteAsync("inventory.yaml", """
            kind: resources
            resources:
              - name: inv-web
                kind: ssh_node
                address: 10.6.0.1
                labels: { suite: inventory, env: staging }
              - name: inv-pg
                kind: database
                address: 10.6.0.2:6432
                databases: [reports]
                labels: { suite: inventory }
            """);
        Assert.Contains($"Imported {file}: 2 created, 0 updated, 0 unchanged.", Ok(await Admin.RunAsync("admin", "resources", "import", file)).Stdout, StringComparison.Ordinal);
        Assert.Contains($"Imported {file}: 0 created, 0 updated, 2 unchanged.", Ok(await Admin.RunAsync("admin", "resources", "import", file)).Stdout, StringComparison.Ordinal);
        var listed = Ok(await Admin.RunAsync("admin", "resources", "ls", "--label", "suite=inventory")).Stdout;
        Assert.Matches(@"(?m)^inv-pg\s+database\s+10.6.0.2:6432\s+suite=inventory\s+1$", listed);
        Assert.Matches(@"(?m)^inv-web\s+ssh_node\s+10.6.0.1:22\s+env=staging, suite=inventory\s+1$", listed);

        // A bad entry is refused with its path and line, and nothing of the file is stored.
        var bad = Fails(await Admin.RunAsync("kind: resources\nresources:\n  - name: inv-new\n    kind: ssh_node\n    address: 10.6.0.3\n  - name: inv-bad\n    kind: vm\n",
            ["admin", "resources", "import", "-"]), 1);
        Assert.StartsWith("custos admin resources import: ", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("resources[1].kind", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 7", bad.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "resources", "show", "inv-new"), 1);
    }

    [Fact]
    public async Task Role_create_stores_the_role_and_prints_linter_warnings_on_stderr()
    {
        var file = await WriteAsync("lint-root.yaml", """
            kind: role
            name: lint-root
            description: Root on every SSH node
            allow:
              resources:
                - kind: ssh_node
              actions: [ssh.session]
              logins: [root]
            """);
        var created = Ok(await Admin.RunAsync("admin", "roles", "create", "-f", file));
        Assert.Contains("Role lint-root created (revision 1).", created.Stdout, StringComparison.Ordinal);
        Assert.Contains("custos admin roles create: warning POL001", created.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("POL001", created.Stdout, StringComparison.Ordinal);

        Assert.Matches(@"(?m)^lint-root\s+no\s+1\s+.*Root on every SSH node$", Ok(await Admin.RunAsync("admin", "roles", "ls")).Stdout);
        var listed = Ok(await Admin.RunAsync("admin", "roles", "ls", "-o", "json")).Json.GetProperty("roles").EnumerateArray();
        Assert.Contains(listed, r => r.GetProperty("name").GetString() == "lint-root" && r.GetProperty("revision").GetInt64() == 1);

        var again = Fails(await Admin.RunAsync("admin", "roles", "create", "-f", file), 1);
        Assert.StartsWith("custos admin roles create: ", again.Stderr, StringComparison.Ordinal);

        Assert.Contains("lint-root: deleted.", Ok(await Admin.RunAsync("admin", "roles", "rm", "lint-root")).Stdout, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "roles", "get", "lint-root"), 1);
    }

    [Fact]
    public async Task Get_edit_update_round_trips_and_a_stale_revision_is_refused()
    {
        Ok(await Admin.RunAsync(OnCallRole("first"), ["admin", "roles", "create", "-f", "-"]));
        var got = Ok(await Admin.RunAsync("admin", "roles", "get", "oncall")).Stdout;
        var lines = got.Split('\n');
        var nameLine = Array.FindIndex(lines, l => l.StartsWith("name:", StringComparison.Ordinal));
        Assert.True(nameLine >= 0, got);
        Assert.Equal("revision: 1", lines[nameLine + 1]);
        var revision1 = await WriteAsync("oncall-r1.yaml", got);

        // Edit the file get printed and update from it: the revision in the file guards the change.
        var edited = await WriteAsync("oncall-edited.yaml", got.Replace("first", "second", StringComparison.Ordinal));
        Assert.Contains("Role oncall updated (revision 2).", Ok(await Admin.RunAsync("admin", "roles", "update", "-f", edited)).Stdout, StringComparison.Ordinal);
        var got2 = Ok(await Admin.RunAsync("admin", "roles", "get", "oncall")).Stdout;
        Assert.Contains("revision: 2\n", got2, StringComparison.Ordinal);
        Assert.Contains("second", got2, StringComparison.Ordinal);

        // The old file starts from revision 1: refused, nothing stored, and the message says what to do.
        var stale = Fails(await Admin.RunAsync("admin", "roles", "update", "-f", revision1), 1);
        Assert.StartsWith("custos admin roles update: ", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains("changed since revision 1", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains("custos admin roles get oncall prints the current one", stale.Stderr, StringComparison.Ordinal);
        var staleFlag = Fails(await Admin.RunAsync(OnCallRole("third"), ["admin", "roles", "update", "-f", "-", "--revision", "1"]), 1);
        Assert.Contains("changed since revision 1", staleFlag.Stderr, StringComparison.Ordinal);
        Assert.Equal(got2, Ok(await Admin.RunAsync("admin", "roles", "get", "oncall")).Stdout);

        // --revision stands in for the line, from standard input too; updating to the same content changes nothing.
        Assert.Contains("Role oncall updated (revision 3).",
            Ok(await Admin.RunAsync(OnCallRole("third"), ["admin", "roles", "update", "-f", "-", "--revision", "2"])).Stdout, StringComparison.Ordinal);
        var same = Ok(await Admin.RunAsync(OnCallRole("third"), ["admin", "roles", "update", "-f", "-", "--revision", "3"]));
        Assert.Contains("Role oncall unchanged (revision 3).", same.Stdout, StringComparison.Ordinal);

        var noRevision = Fails(await Admin.RunAsync(OnCallRole("fourth"), ["admin", "roles", "update", "-f", "-"]), 2);
        Assert.Contains("no revision: pass --revision N", noRevision.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_shows_the_diff_and_the_findings_and_stores_nothing()
    {
        const string dryRole = """
            kind: role
            name: dry
            description: Only a dry run
            allow:
              resources:
                - kind: ssh_node
              actions: [ssh.session]
              logins: [root]
            """;
        var create = Ok(await Admin.RunAsync(dryRole, ["admin", "roles", "create", "-f", "-", "--dry-run"]));
        Assert.Contains("Dry run: the role would be created; nothing was stored.", create.Stdout, StringComparison.Ordinal);
        Assert.Contains("+ description: \"Only a dry run\"", create.Stdout, StringComparison.Ordinal);
        Assert.Contains("custos admin roles create: warning POL001", create.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "roles", "get", "dry"), 1);
        Assert.DoesNotContain(Ok(await Admin.RunAsync("admin", "roles", "ls", "-o", "json")).Json.GetProperty("roles").EnumerateArray(),
            r => r.GetProperty("name").GetString() == "dry");

        Ok(await Admin.RunAsync(OnCallRole("kept", name: "dry-kept"), ["admin", "roles", "create", "-f", "-"]));
        var update = Ok(await Admin.RunAsync(OnCallRole("changed", name: "dry-kept"), ["admin", "roles", "update", "-f", "-", "--revision", "1", "--dry-run"]));
        Assert.Contains("Dry run: the role would be updated; nothing was stored.", update.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^- description: .*kept", update.Stdout);
        Assert.Matches(@"(?m)^\+ description: .*changed", update.Stdout);
        var stored = Ok(await Admin.RunAsync("admin", "roles", "get", "dry-kept")).Stdout;
        Assert.Contains("revision: 1\n", stored, StringComparison.Ordinal);
        Assert.Contains("kept", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("changed", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_role_documents_are_refused_with_the_path_and_line()
    {
        var file = await WriteAsync("invalid.yaml", """
            kind: role
            name: invalid
            allow:
              resources:
                - kind: database
                  labels:
                    env: { nested: mapping }
              actions: [db.connect]
            """);
        var refused = Fails(await Admin.RunAsync("admin", "roles", "create", "-f", file), 1);
        Assert.StartsWith("custos admin roles create: ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("allow.resources[0].labels.env", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 7", refused.Stderr, StringComparison.Ordinal);

        var unknownAction = Fails(await Admin.RunAsync("kind: role\nname: invalid\nallow:\n  actions: [ssh.everything]\n", ["admin", "roles", "create", "-f", "-", "--dry-run"]), 1);
        Assert.Contains("allow.actions", unknownAction.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 4", unknownAction.Stderr, StringComparison.Ordinal);

        var notYaml = Fails(await Admin.RunAsync("kind: role\nname: [invalid\n", ["admin", "roles", "update", "-f", "-", "--revision", "1"]), 1);
        Assert.Contains("custos admin roles update: standard input: invalid YAML (line ", notYaml.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "roles", "get", "invalid"), 1);
    }

    [Fact]
    public async Task Role_mappings_are_added_listed_and_removed()
    {
        Ok(await Admin.RunAsync("kind: role\nname: mapped\ndeny:\n  resources: [{ kind: ssh_node, labels: { data: pci } }]\n  actions: [\"ssh.*\"]\n",
            ["admin", "roles", "create", "-f", "-"]));
        var added = Ok(await Admin.RunAsync("admin", "role-mappings", "add", "--trait", "group=mapping-test", "--role", "mapped"));
        Assert.Contains("Added: identities with group=mapping-test have role mapped.", added.Stdout, StringComparison.Ordinal);
        var again = Ok(await Admin.RunAsync("admin", "role-mappings", "add", "--trait", "group=mapping-test", "--role", "mapped"));
        Assert.Contains("Exists already: identities with group=mapping-test have role mapped.", again.Stdout, StringComparison.Ordinal);

        Assert.Matches(@"(?m)^group\s+mapping-test\s+mapped$", Ok(await Admin.RunAsync("admin", "role-mappings", "ls")).Stdout);
        var json = Ok(await Admin.RunAsync("admin", "role-mappings", "ls", "-o", "json")).Json.GetProperty("mappings").EnumerateArray();
        Assert.Single(json, m => m.GetProperty("trait").GetString() == "group" && m.GetProperty("value").GetString() == "mapping-test");

        Assert.Contains("Removed: identities with group=mapping-test have role mapped.",
            Ok(await Admin.RunAsync("admin", "role-mappings", "rm", "--trait", "group=mapping-test", "--role", "mapped")).Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^group\s+mapping-test", Ok(await Admin.RunAsync("admin", "role-mappings", "ls")).Stdout);
        var missing = Fails(await Admin.RunAsync("admin", "role-mappings", "rm", "--trait", "group=mapping-test", "--role", "mapped"), 1);
        Assert.StartsWith("custos admin role-mappings rm: ", missing.Stderr, StringComparison.Ordinal);
        Fails(await Admin.RunAsync("admin", "role-mappings", "add", "--trait", "group", "--role", "mapped"), 2);
    }

    private static string OnCallRole(string description, string name = "oncall") => $$$"""
        kind: role
        name: {{{name}}}
        description: On call ({{{description}}})
        allow:
          resources:
            - kind: ssh_node
              labels: { env: staging }
          actions: [ssh.session]
          logins: ["{{user.name}}"]
          conditions: { mfa: per_session }
        """;

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = installation.File(name);
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);
        return path;
    }

    /// <summary>A resource list without revisions and times: what an export carries.</summary>
    private static string Content(JsonElement resources) => string.Join("\n", resources.EnumerateArray()
        .OrderBy(r => r.GetProperty("name").GetString(), StringComparer.Ordinal)
        .Select(r => string.Join("|", r.EnumerateObject().Where(p => p.Name is not ("revision" or "created_at" or "updated_at")).Select(p => $"{p.Name}={p.Value.GetRawText()}"))));

    private static CliResult Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static CliResult Fails(CliResult result, int exitCode)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}; {result}");
        return result;
    }
}
