using Custos.Storage.Postgres;
using Custos.Storage.Sqlite;

namespace Custos.Storage;

public static class StoreFactory
{
    /// <summary>Opens the store for a location; <paramref name="readOnly"/> (offline tools) makes every session read-only.</summary>
    public static RelationalStore Open(DatabaseLocation location, bool readOnly = false) => location.Engine switch
    {
        DatabaseEngine.Sqlite => SqliteStore.Open(location.ConnectionString, readOnly),
        DatabaseEngine.Postgres => PostgresStore.Open(location, readOnly),
        _ => throw new ArgumentOutOfRangeException(nameof(location)),
    };
}
