using Custos.Cli.Client;
using Custos.Cli.Identity;

namespace Custos.Cli.Tests.Identity;

public sealed class TraitsTests
{
    [Fact]
    public void Repeated_keys_collect_their_values_in_order_without_duplicates()
    {
        var traits = CommonOptions.ToTraits(["team=db", "env=prod", "team=web", "team=db"])!;
        Assert.Equal(["db", "web"], traits["team"]);
        Assert.Equal(["prod"], traits["env"]);
    }

    [Fact]
    public void Value_may_contain_equals_signs_and_be_empty()
    {
        var traits = CommonOptions.ToTraits(["query=a=b", "empty="])!;
        Assert.Equal(["a=b"], traits["query"]);
        Assert.Equal([""], traits["empty"]);
    }

    [Fact]
    public void No_traits_means_leave_them_unset()
    {
        Assert.Null(CommonOptions.ToTraits([]));
        Assert.Null(CommonOptions.ToTraits(null));
    }

    [Fact]
    public void Malformed_trait_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => CommonOptions.ToTraits(["novalue"])).ExitCode);
    }

    [Fact]
    public void Roles_split_on_commas_and_drop_blanks()
    {
        Assert.Equal(["dev", "ops"], CommonOptions.SplitRoles(" dev, ,ops,"));
        Assert.Empty(CommonOptions.SplitRoles(""));
    }
}
