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
    private byte[] _utf8 = new byte[4096];

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
        BindText(3, e.Type);
        BindText(4, e.Actor.Kind);
        BindText(5, e.Actor.Id);
        BindText(6, e.Actor.Name);
        BindText(7, e.Outcome.ToName());
        BindNullable(8, e.Target);
        BindNullable(9, e.Reason);
        BindNullable(10, e.Source?.Ip);
        BindNullable(11, e.Source?.UserAgent);
        BindNullable(12, e.RequestId);
        BindText(13, e.Details);
        raw.sqlite3_bind_blob(s, 14, e.PrevHash);
        raw.sqlite3_bind_blob(s, 15, e.Hash);
        var rc = raw.sqlite3_step(s);
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE) Check(_db, rc);
    }

    private void BindNullable(int index, string? value)
    {
        if (value is null) raw.sqlite3_bind_null(_statement, index);
        else BindText(index, value);
    }

    /// <summary>
    /// Binds UTF-8 text from one reusable buffer without a per-value allocation. SQLite copies bound text
    /// (SQLITE_TRANSIENT), so the buffer region can be reused: values of one row occupy distinct regions.
    /// </summary>
    private int _used;

    private void BindText(int index, string value)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_used + max > _utf8.Length)
        {
            if (max > _utf8.Length / 2) Array.Resize(ref _utf8, Math.Max(_utf8.Length * 2, max * 2));
            _used = 0;
        }
        var written = System.Text.Encoding.UTF8.GetBytes(value, _utf8.AsSpan(_used));
        raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(_used, written));
        _used += written;
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
    }

    public void Dispose() => _statement.Dispose();
}
