using Custos.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The audit insert on SQLite's own statement API: bind by index, step, reset. ADO.NET parameter objects cost more
/// than the insert itself at group-commit rates (docs/benchmarks.md); this path is only used inside the writer's
/// transaction, on the writer's connection. Full groups of <see cref="RowsPerStatement"/> events go through one
/// multi-row INSERT (one VDBE program run and one step/reset per group instead of per row).
/// </summary>
internal sealed class EventInsert : IDisposable
{
    private const int Columns = 15;
    internal const int RowsPerStatement = 16;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _single;
    private readonly sqlite3_stmt _multi;
    private byte[] _utf8 = new byte[4096];

    private EventInsert(sqlite3 db, sqlite3_stmt single, sqlite3_stmt multi)
    {
        _db = db;
        _single = single;
        _multi = multi;
    }

    public static EventInsert Prepare(SqliteConnection connection)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the SQLite connection is not open");
        var single = PrepareRows(db, 1);
        try
        {
            return new EventInsert(db, single, PrepareRows(db, RowsPerStatement));
        }
        catch
        {
            single.Dispose();
            throw;
        }
    }

    private static sqlite3_stmt PrepareRows(sqlite3 db, int rows)
    {
        var values = string.Join(", ", Enumerable.Range(0, rows).Select(r =>
            "(" + string.Join(", ", Enumerable.Range(1 + (r * Columns), Columns).Select(i => "?" + i)) + ")"));
        var rc = raw.sqlite3_prepare_v2(db, $"INSERT INTO audit_events ({RelationalStore.EventColumnList}) VALUES {values}", out var statement);
        Check(db, rc);
        return statement;
    }

    /// <summary>Inserts the events in order.</summary>
    public void Execute(IReadOnlyList<AuditEvent> events)
    {
        var i = 0;
        for (; i + RowsPerStatement <= events.Count; i += RowsPerStatement)
        {
            for (var r = 0; r < RowsPerStatement; r++) Bind(_multi, r * Columns, events[i + r]);
            Step(_multi);
        }
        for (; i < events.Count; i++)
        {
            Bind(_single, 0, events[i]);
            Step(_single);
        }
    }

    private void Bind(sqlite3_stmt s, int at, AuditEvent e)
    {
        raw.sqlite3_bind_int64(s, at + 1, e.Seq);
        raw.sqlite3_bind_int64(s, at + 2, RelationalStore.ToMicros(e.Time));
        BindText(s, at + 3, e.Type);
        BindText(s, at + 4, e.Actor.Kind);
        BindText(s, at + 5, e.Actor.Id);
        BindText(s, at + 6, e.Actor.Name);
        BindText(s, at + 7, e.Outcome.ToName());
        BindNullable(s, at + 8, e.Target);
        BindNullable(s, at + 9, e.Reason);
        BindNullable(s, at + 10, e.Source?.Ip);
        BindNullable(s, at + 11, e.Source?.UserAgent);
        BindNullable(s, at + 12, e.RequestId);
        BindText(s, at + 13, e.Details);
        raw.sqlite3_bind_blob(s, at + 14, e.PrevHash);
        raw.sqlite3_bind_blob(s, at + 15, e.Hash);
    }

    private void Step(sqlite3_stmt s)
    {
        var rc = raw.sqlite3_step(s);
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE) Check(_db, rc);
    }

    private void BindNullable(sqlite3_stmt s, int index, string? value)
    {
        if (value is null) raw.sqlite3_bind_null(s, index);
        else BindText(s, index, value);
    }

    /// <summary>
    /// Binds UTF-8 text from one reusable buffer without a per-value allocation. SQLite copies bound text
    /// (SQLITE_TRANSIENT), so the buffer region can be reused: values of one row occupy distinct regions.
    /// </summary>
    private int _used;

    private void BindText(sqlite3_stmt s, int index, string value)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_used + max > _utf8.Length)
        {
            if (max > _utf8.Length / 2) Array.Resize(ref _utf8, Math.Max(_utf8.Length * 2, max * 2));
            _used = 0;
        }
        var written = System.Text.Encoding.UTF8.GetBytes(value, _utf8.AsSpan(_used));
        raw.sqlite3_bind_text(s, index, _utf8.AsSpan(_used, written));
        _used += written;
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
    }

    public void Dispose()
    {
        _single.Dispose();
        _multi.Dispose();
    }
}
