namespace Custos.Storage.Tests;

public class DatabaseLocationTests
{
    [Fact]
    public void A_postgres_url_selects_PostgreSQL()
    {
        var l = DatabaseLocation.Parse("postgres://custos@db.example:6543/custos?sslmode=require");
        Assert.Equal(DatabaseEngine.Postgres, l.Engine);
        Assert.Contains("Host=db.example", l.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Port=6543", l.ConnectionString, StringComparison.Ordinal);
        Assert.Equal("postgres://custos@db.example:6543/custos", l.Display);
    }

    [Fact]
    public void An_npgsql_connection_string_selects_PostgreSQL() =>
        Assert.Equal(DatabaseEngine.Postgres, DatabaseLocation.Parse("Host=localhost;Database=custos;Username=custos").Engine);

    [Fact]
    public void A_connect_timeout_given_in_the_connection_string_is_kept_and_otherwise_shortened()
    {
        Assert.Contains("Timeout=15", DatabaseLocation.Parse("Host=localhost;Database=custos;Timeout=15").ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Timeout=5", DatabaseLocation.Parse("Host=localhost;Database=custos").ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Timeout=5", DatabaseLocation.Parse("postgres://custos@localhost/custos").ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_selects_SQLite() =>
        Assert.Equal(DatabaseEngine.Sqlite, DatabaseLocation.Parse("/var/lib/custos/custos.db").Engine);

    [Theory]
    [InlineData("postgres://custos:hunter2@localhost/custos")]
    [InlineData("postgres://custos@localhost/custos?password=hunter2")]
    [InlineData("Host=localhost;Database=custos;Password=hunter2")]
    public void A_password_on_the_command_line_is_refused(string value)
    {
        var e = Assert.Throws<StorageException>(() => DatabaseLocation.Parse(value));
        Assert.Equal(StorageFailure.Configuration, e.Failure);
        Assert.Contains("PGPASSWORD", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://localhost")]
    [InlineData("postgres://localhost/db?foo=bar")]
    [InlineData("")]
    public void A_malformed_location_names_the_problem(string value) =>
        Assert.Equal(StorageFailure.Configuration, Assert.Throws<StorageException>(() => DatabaseLocation.Parse(value)).Failure);
}
