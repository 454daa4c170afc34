using Custos.Cli.Client;
using Custos.Cli.Policy;

namespace Custos.Cli.Tests.Policy;

public sealed class ResourceLabelsTests
{
    [Fact]
    public void Labels_parse_into_one_value_per_key()
    {
        var labels = ResourceLabels.Parse(["env=prod", "team=payments", "query=a=b", "empty="]);
        Assert.Equal("prod", labels["env"]);
        Assert.Equal("payments", labels["team"]);
        Assert.Equal("a=b", labels["query"]);
        Assert.Equal("", labels["empty"]);
    }

    [Fact]
    public void The_same_label_twice_is_fine_but_two_values_for_a_key_are_refused()
    {
        Assert.Single(ResourceLabels.Parse(["env=prod", "env=prod"]));
        var e = Assert.Throws<CliException>(() => ResourceLabels.Parse(["env=prod", "env=dev"]));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("env is given twice (env=prod and env=dev)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("env")]
    [InlineData("=prod")]
    public void Malformed_label_is_a_usage_error(string text)
    {
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => ResourceLabels.Parse([text])).ExitCode);
    }

    [Fact]
    public void No_labels_is_an_empty_set()
    {
        Assert.Empty(ResourceLabels.Parse(null));
        Assert.Empty(ResourceLabels.Parse([]));
    }

    [Fact]
    public void Labels_print_sorted_by_key()
    {
        Assert.Equal("env=prod, team=payments", ResourceLabels.Format(new Dictionary<string, string> { ["team"] = "payments", ["env"] = "prod" }));
        Assert.Equal("-", ResourceLabels.Format(new Dictionary<string, string>()));
    }
}
