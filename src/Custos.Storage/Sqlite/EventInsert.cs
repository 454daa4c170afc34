using Custos.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The audit insert on SQLite's own statement API: bind by index, step, reset. ADO.NET parameter objects cost more
/// than the insert itself at group-commit rates (docs/benchmarks.md); this path is only used inside the writer's
/// transaction, on the writer's connection.
/// </summary>
internal sealed class EventInsert : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    private EventInsert(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
    }

    public static EventInsert Prepare(SqliteConnection connection)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the SQLite connection is not open");
        var placeholders = string.Join(", ", Enumerable.Range(1, 15).Select(i => "?" + i));
        var rc = raw.sqlite3_prepare_v2(db, $"INSERT INTO audit_events ({RelationalStore.EventColumnList}) VALUES ({placeholders})", out var statement);
        Check(db, rc);
        return new EventInsert(db, statement);
    }

    public void Execute(AuditEvent e)
    {
        var s = _statement;
        raw.sqlite3_bind_int64(s, 1, e.Seq);
        raw.sqlite3_bind_int64(s, 2, RelationalStore.ToMicros(e.Time));
        raw.sqlite3_bind_text(s, 3, e.Type);
        raw.sqlite3_bind_text(s, 4, e.Actor.Kind);
        raw.sqlite3_bind_text(s, 5, e.Actor.Id);
        raw.sqlite3_bind_text(s, 6, e.Actor.Name);
        raw.sqlite3_bind_text(s, 7, e.Outcome.ToName());
        BindNullable(8, e.Target);
        BindNullable(9, e.Reason);
        BindNullable(10, e.Source?.Ip);
        BindNullable(11, e.Source?.UserAgent);
        BindNullable(12, e.RequestId);
        raw.sqlite3_bind_text(s, 13, e.Details);
        raw.sqlite3_bind_blob(s, 14, e.PrevHash);
        raw.sqlite3_bind_blob(s, 15, e.Hash);
        var rc = raw.sqlite3_step(s);
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE) Check(_db, rc);
    }

    private void BindNullable(int index, string? value)
    {
        if (value is null) raw.sqlite3_bind_null(_statement, index);
        else raw.sqlite3_bind_text(_statement, index, value);
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
    }

    public void Dispose() => _statement.Dispose();
}
