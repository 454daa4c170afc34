namespace Custos.Core.Tests;

public class SmokeTests
{
    [Fact]
    public void One_plus_one() => Assert.Equal(2, 1 + 1);
}
