using Custos.Core.Policy;

namespace Custos.Core.Tests.Policy;

public sealed class InventoryYamlTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_kind_parses_writes_and_parses_back_to_equal_content()
    {
        const string yaml = """
            kind: resources
            resources:
              - name: db-1
                kind: database
                address: 10.0.0.5
                databases: [app, "odd \"name\""]
                labels: { env: prod, team: payments }
              - name: web-1
                kind: ssh_node
                address: "[2001:db8::1]:2222"
                host_key_fingerprint: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
                trust_host_ca: true
              - name: wiki
                kind: app
                url: https://wiki.example.com/path
                labels: { "k8s.io/app": "wiki" }
            """;
        var parsed = InventoryYaml.Parse(yaml, Now);
        Assert.Equal(["db-1", "web-1", "wiki"], parsed.Select(r => r.Name));
        Assert.Equal(("10.0.0.5", 5432), (parsed[0].Address, parsed[0].Port));
        Assert.Equal(("2001:db8::1", 2222), (parsed[1].Address, parsed[1].Port));
        Assert.True(parsed[1].TrustHostCa);
        Assert.Equal("https://wiki.example.com/path", parsed[2].Url);

        var written = InventoryYaml.Write(parsed);
        var again = InventoryYaml.Parse(written, Now.AddHours(1));
        Assert.Equal(parsed.Count, again.Count);
        Assert.All(parsed.Zip(again), p => Assert.True(InventoryYaml.SameContent(p.First, p.Second), p.First.Name));
        Assert.Equal(written, InventoryYaml.Write(again));
    }

    [Fact]
    public void An_empty_inventory_round_trips() =>
        Assert.Empty(InventoryYaml.Parse(InventoryYaml.Write([]), Now));

    [Theory]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: database\n    address: h:0\n", "resources[0].address", 5, "port '0'")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: database\n", "resources[0].address", 3, "required")]
    [InlineData("kind: resources\nresources:\n  - name: A\n    kind: app\n    url: https://x\n", "resources[0].name", 3, "expected a resource name")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: app\n    url: https://x\n    colour: red\n", "resources[0].colour", 6, "unknown key")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: app\n    url: https://x\n  - name: a\n    kind: app\n    url: https://y\n", "resources[1].name", 6, "duplicate name")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: ssh_node\n    address: h\n    labels: [x]\n", "resources[0].labels", 6, "expected a mapping")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: ssh_node\n    address: h\n    trust_host_ca: yes\n", "resources[0].trust_host_ca", 6, "expected true or false")]
    [InlineData("kind: resources\nresources:\n  - name: a\n    kind: database\n    address: h\n    host_key_fingerprint: SHA256:x\n", "resources[0].host_key_fingerprint", 6, "only an ssh_node")]
    [InlineData("kind: roles\nresources: []\n", "kind", 1, "expected 'resources'")]
    [InlineData("kind: resources\nresources: &x []\n", "", 2, "anchors are not allowed")]
    public void Problems_name_the_path_and_line(string yaml, string path, int line, string message)
    {
        var e = Assert.Throws<RoleValidationException>(() => InventoryYaml.Parse(yaml, Now));
        var error = e.Errors[0];
        Assert.Equal(path, error.Path);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("db.example.com", 22, "db.example.com", 22)]
    [InlineData("db.example.com:2200", 22, "db.example.com", 2200)]
    [InlineData("10.1.2.3:5433", 5432, "10.1.2.3", 5433)]
    [InlineData("[::1]", 22, "::1", 22)]
    [InlineData("[fe80::1]:2022", 22, "fe80::1", 2022)]
    public void Addresses_parse_with_default_ports(string address, int defaultPort, string host, int port)
    {
        Assert.True(ResourceInput.TryParseAddress(address, defaultPort, out var h, out var p, out var error), error);
        Assert.Equal((host, port), (h, p));
        Assert.True(ResourceInput.TryParseAddress(ResourceInput.FormatAddress(h, p), 1, out var h2, out var p2, out _));
        Assert.Equal((host, port), (h2, p2));
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("[10.0.0.1]:22")]
    [InlineData("host:")]
    [InlineData("host:65536")]
    [InlineData("-bad-.example.com")]
    [InlineData("")]
    public void Bad_addresses_are_refused(string address) =>
        Assert.False(ResourceInput.TryParseAddress(address, 22, out _, out _, out _));
}
