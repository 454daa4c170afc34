using Npgsql;

namespace Custos.Storage;

public enum DatabaseEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Where the database is: a SQLite file (the default, <c>DIR/custos.db</c>), or PostgreSQL given as
/// <c>postgres://user@host:port/db</c> or an Npgsql connection string. A password is never accepted here: it comes
/// from PGPASSWORD or a passfile, so it never shows in a command line or a config file.
/// </summary>
public sealed partial record DatabaseLocation(DatabaseEngine Engine, string ConnectionString, string Display)
{
    /// <summary>
    /// Connect timeout unless the connection string sets one: shorter than Npgsql's 15 s so an unreachable server is
    /// reported, and retried with back-off, promptly.
    /// </summary>
    private const int ConnectTimeoutSeconds = 5;

    [System.Text.RegularExpressions.GeneratedRegex(@"(^|;)\s*(connect(ion)?\s*)?timeout\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex ExplicitTimeout();

    public static DatabaseLocation SqliteFile(string path)
    {
        var full = Path.GetFullPath(path);
        return new DatabaseLocation(DatabaseEngine.Sqlite, full, "sqlite:" + full);
    }

    /// <summary>Parses <c>--database</c>. Throws <see cref="StorageException"/> (Configuration) with a precise message.</summary>
    public static DatabaseLocation Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new StorageException(StorageFailure.Configuration, "database: empty value");
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return FromUrl(value);
        if (value.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = value["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            if (path.Length == 0) throw new StorageException(StorageFailure.Configuration, "database: sqlite: needs a file path");
            return SqliteFile(path);
        }
        if (value.Contains('=', StringComparison.Ordinal))
            return FromConnectionString(value);
        return SqliteFile(value);
    }

    private static DatabaseLocation FromUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new StorageException(StorageFailure.Configuration, "database: not a valid postgres:// URL (expected postgres://user@host:port/db)");
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        if (userInfo.Contains(':', StringComparison.Ordinal))
            throw new StorageException(StorageFailure.Configuration,
                "database: the URL contains a password; give it in PGPASSWORD or a passfile (~/.pgpass, PGPASSFILE) instead");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
            throw new StorageException(StorageFailure.Configuration, "database: the URL names no database (postgres://user@host:port/db)");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Timeout = ConnectTimeoutSeconds,
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database,
        };
        if (userInfo.Length > 0) builder.Username = userInfo;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var val = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key.ToLowerInvariant())
            {
                case "sslmode": builder.SslMode = Enum.Parse<SslMode>(val, ignoreCase: true); break;
                case "password": throw new StorageException(StorageFailure.Configuration, "database: the URL contains a password; use PGPASSWORD or a passfile");
                default: throw new StorageException(StorageFailure.Configuration, $"database: unsupported URL parameter \"{key}\" (supported: sslmode)");
            }
        }
        return Build(builder);
    }

    private static DatabaseLocation FromConnectionString(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException e)
        {
            throw new StorageException(StorageFailure.Configuration, $"database: invalid connection string: {e.Message}", e);
        }
        if (!string.IsNullOrEmpty(builder.Password))
            throw new StorageException(StorageFailure.Configuration,
                "database: the connection string contains a password; give it in PGPASSWORD or a passfile instead");
        if (string.IsNullOrEmpty(builder.Host))
            throw new StorageException(StorageFailure.Configuration, "database: the connection string names no Host");
        if (!ExplicitTimeout().IsMatch(value)) builder.Timeout = ConnectTimeoutSeconds;
        return Build(builder);
    }

    private static DatabaseLocation Build(NpgsqlConnectionStringBuilder builder)
    {
        builder.ApplicationName ??= "custos";
        // Npgsql reads PGPASSWORD and the passfile itself when no password is given.
        var display = $"postgres://{(string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@")}{builder.Host}:{builder.Port}/{builder.Database}";
        return new DatabaseLocation(DatabaseEngine.Postgres, builder.ConnectionString, display);
    }

    public override string ToString() => Display;
}
