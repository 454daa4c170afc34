using Custos.Cli.Client;

namespace Custos.Cli.Tests.Client;

public sealed class ApiProblemTests
{
    [Fact]
    public void Problem_document_gives_its_detail_as_the_message()
    {
        var problem = ApiProblem.Parse(401, """{"type":"urn:custos:problem:login-failed","title":"Login failed","status":401,"detail":"wrong user name or password"}""", null);
        Assert.True(problem.Is(ApiProblem.LoginFailed));
        Assert.Equal("wrong user name or password", problem.ToMessage());
    }

    [Fact]
    public void Title_stands_in_for_a_missing_detail_and_the_status_for_both()
    {
        Assert.Equal("Login failed", ApiProblem.Parse(401, """{"title":"Login failed"}""", null).ToMessage());
        Assert.Equal("the server answered 502", ApiProblem.Parse(502, "<html>Bad gateway</html>", null).ToMessage());
        Assert.Equal("the server answered 500", ApiProblem.Parse(500, "", null).ToMessage());
    }

    [Fact]
    public void Validation_errors_are_listed_by_field_once()
    {
        var problem = ApiProblem.Parse(400, """
            {"type":"urn:custos:problem:validation","title":"The request is invalid","status":400,"detail":"name: is taken",
             "errors":{"name":["is taken"],"email":["is not an e-mail address"]}}
            """, null);
        var message = problem.ToMessage();
        Assert.StartsWith("name: is taken", message, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(message, "name: is taken"));
        Assert.Contains("\n  email: is not an e-mail address", message);
    }

    [Fact]
    public void Lockout_says_when_to_try_again()
    {
        var problem = ApiProblem.Parse(429, """{"type":"urn:custos:problem:locked-out","detail":"too many failed logins"}""", TimeSpan.FromSeconds(300));
        Assert.True(problem.Is(ApiProblem.LockedOut));
        Assert.Equal("too many failed logins (try again in 5 min)", problem.ToMessage());
        Assert.EndsWith("(try again in 30 s)", ApiProblem.Parse(429, "", TimeSpan.FromSeconds(29.2)).ToMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_in_the_body_wins_and_a_refused_bearer_token_is_a_rejected_session()
    {
        var problem = ApiProblem.Parse(400, """{"status":401,"detail":"session expired"}""", null);
        Assert.Equal(401, problem.Status);
        Assert.True(new ApiException(problem, sentToken: true).SessionRejected);
        Assert.False(new ApiException(problem, sentToken: false).SessionRejected);
    }
}
