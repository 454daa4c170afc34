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
    public static RelationalStore Open(string? dataDir, string? database, bool readOnly) => StoreFactory.Open(Locate(dataDir, database), readOnly);

    /// <summary>
    /// Opens read-only and checks that the database is a Custos database of a schema this build knows, so that a
    /// wrong, damaged or newer file is reported as such rather than as a missing table.
    /// </summary>
    public static async Task<RelationalStore> OpenForReadingAsync(string? dataDir, string? database, CancellationToken cancellationToken)
    {
        var location = Locate(dataDir, database);
        var store = StoreFactory.Open(location, readOnly: true);
        try
        {
            int version;
            try
            {
                version = await store.ReadSchemaVersionAsync(cancellationToken);
            }
            catch (System.Data.Common.DbException e)
            {
                throw new StorageException(StorageFailure.Foreign, $"database: {location} is not a Custos database, or is damaged ({e.Message})", e);
            }
            if (version > store.KnownSchemaVersion)
                throw new StorageException(StorageFailure.TooNew,
                    $"database: {location} has schema version {version}, newer than this Custos knows ({store.KnownSchemaVersion}); use a newer custos");
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    private static DatabaseLocation Locate(string? dataDir, string? database)
    {
        if (dataDir is null && database is null)
            throw new StorageException(StorageFailure.Configuration, "give --data-dir DIR or --database URL");
        var location = database is not null
            ? DatabaseLocation.Parse(database)
            : DatabaseLocation.SqliteFile(new DataDirectory(dataDir!).DatabaseFile);
        if (location.Engine == DatabaseEngine.Sqlite && !File.Exists(location.ConnectionString))
            throw new StorageException(StorageFailure.Configuration, $"database: {location.ConnectionString} does not exist (is --data-dir right?)");
        return location;
    }
}
