using Custos.Cli.Client;
using Custos.Cli.Policy;

namespace Custos.Cli.Tests.Policy;

public sealed class RoleDocumentTextTests
{
    private const string Canonical = """
        kind: role
        name: "dba"
        description: "Database administrators"
        requires_request: true
        allow:
          resources:
            - kind: database
          actions: ["db.connect"]

        """;

    [Fact]
    public void Revision_line_goes_right_after_the_name_line()
    {
        var text = RoleDocumentText.WithRevision(Canonical, 7);
        Assert.Equal("""
            kind: role
            name: "dba"
            revision: 7
            description: "Database administrators"
            requires_request: true
            allow:
              resources:
                - kind: database
              actions: ["db.connect"]

            """, text);
    }

    [Fact]
    public void An_existing_revision_line_is_replaced_not_repeated()
    {
        var once = RoleDocumentText.WithRevision(Canonical, 3);
        var twice = RoleDocumentText.WithRevision(once, 4);
        Assert.Equal(RoleDocumentText.WithRevision(Canonical, 4), twice);
        Assert.Single(twice.Split('\n'), l => l.StartsWith("revision:", StringComparison.Ordinal));
    }

    [Fact]
    public void Nested_name_and_revision_keys_are_not_mistaken_for_the_top_level_ones()
    {
        const string yaml = "kind: role\nallow:\n  name: x\n  revision: 9\nname: ops\nnames: other\n";
        Assert.Equal("kind: role\nallow:\n  name: x\n  revision: 9\nname: ops\nrevision: 2\nnames: other\n", RoleDocumentText.WithRevision(yaml, 2));
    }

    [Fact]
    public void A_name_continued_on_indented_lines_keeps_them_together()
    {
        const string yaml = "kind: role\nname:\n  ops\ndescription: x\n";
        Assert.Equal("kind: role\nname:\n  ops\nrevision: 5\ndescription: x\n", RoleDocumentText.WithRevision(yaml, 5));
    }

    [Fact]
    public void Without_a_name_line_the_revision_goes_first_and_crlf_becomes_lf()
    {
        Assert.Equal("revision: 1\nkind: role\n", RoleDocumentText.WithRevision("kind: role\r\n", 1));
        Assert.Equal("---\nrevision: 1\nkind: role\n", RoleDocumentText.WithRevision("---\nkind: role", 1));
    }

    [Fact]
    public void What_get_prints_reads_back_as_the_same_name_and_revision()
    {
        var header = RoleDocumentText.ReadHeader(RoleDocumentText.WithRevision(Canonical, 12), "dba.yaml");
        Assert.Equal(new RoleDocumentHeader("dba", 12), header);
    }

    [Theory]
    [InlineData("kind: role\nname: ops # the on-call role\n", "ops", null)]
    [InlineData("kind: role\nname: 'ops'\nrevision: 3\n", "ops", 3L)]
    [InlineData("{kind: role, name: ops, revision: 4}", "ops", 4L)]
    [InlineData("kind: role\nallow: {actions: [x], name: nested}\n", null, null)]
    [InlineData("---\nkind: role\nname: ops\n...\n", "ops", null)]
    public void Header_is_read_from_any_yaml_spelling(string yaml, string? name, long? revision)
    {
        Assert.Equal(new RoleDocumentHeader(name, revision), RoleDocumentText.ReadHeader(yaml, "f.yaml"));
    }

    [Theory]
    [InlineData("kind: role\nname: [ops\n", "f.yaml: invalid YAML (line ")]
    [InlineData("- kind: role\n", "f.yaml: expected a role document")]
    [InlineData("", "f.yaml: the document is empty")]
    [InlineData("kind: role\nname: ops\nrevision: three\n", "f.yaml: revision: \"three\" is not a revision number (line 3)")]
    public void Unreadable_documents_are_refused_with_the_source_and_line(string yaml, string expected)
    {
        var e = Assert.Throws<CliException>(() => RoleDocumentText.ReadHeader(yaml, "f.yaml"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, e.ExitCode);
    }
}
