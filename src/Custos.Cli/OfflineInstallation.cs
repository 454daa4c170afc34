using Custos.Server.Hosting;
using Custos.Storage;

namespace Custos.Cli;

/// <summary>Opens an installation's database without a running server (offline admin and audit commands).</summary>
public static class OfflineInstallation
{
    /// <summary>
    /// The database from --database, else DIR/custos.db. Read-only opening never creates or migrates anything; the
    /// PostgreSQL session is put in read-only mode too.
    /// </summary>
    public static RelationalStore Open(string? dataDir, string? database, bool readOnly)
    {
        if (dataDir is null && database is null)
            throw new StorageException(StorageFailure.Configuration, "give --data-dir DIR or --database URL");
        var location = database is not null
            ? DatabaseLocation.Parse(database)
            : DatabaseLocation.SqliteFile(new DataDirectory(dataDir!).DatabaseFile);
        if (location.Engine == DatabaseEngine.Sqlite && !File.Exists(location.ConnectionString))
            throw new StorageException(StorageFailure.Configuration, $"database: {location.ConnectionString} does not exist (is --data-dir right?)");
        return StoreFactory.Open(location, readOnly);
    }
}
