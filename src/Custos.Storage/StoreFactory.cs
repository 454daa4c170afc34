using Custos.Storage.Postgres;
using Custos.Storage.Sqlite;

namespace Custos.Storage;

public static class StoreFactory
{
    /// <summary>Opens the store for a location. <paramref name="readOnly"/> is honoured by SQLite (offline tools).</summary>
    public static RelationalStore Open(DatabaseLocation location, bool readOnly = false) => location.Engine switch
    {
        DatabaseEngine.Sqlite => SqliteStore.Open(location.ConnectionString, readOnly),
        DatabaseEngine.Postgres => PostgresStore.Open(location),
        _ => throw new ArgumentOutOfRangeException(nameof(location)),
    };
}
