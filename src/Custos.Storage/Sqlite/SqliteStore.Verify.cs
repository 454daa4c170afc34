using Custos.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using static Custos.Storage.Sqlite.SqliteNative;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The verifier's read path: rows of audit_events handed over as SQLite's own UTF-8 column buffers through SQLite's
/// statement API, never as .NET strings (ADO.NET materialised ~10 strings and an event per row, which cost more than
/// hashing; docs/benchmarks.md). Text is read with <c>sqlite3_column_text</c>, the same conversion ADO.NET's GetString
/// starts from, so the bytes hashed are the same. Each range gets its own connection opened without SQLite's
/// connection mutex (only the calling thread uses it), and columns are read through <see cref="SqliteNative"/>.
/// </summary>
public sealed partial class SqliteStore : IAuditRowReader
{
    private const string RangeSql = "SELECT " + EventColumns + " FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq";

    public void ReadRows(long afterSeq, long upToSeq, AuditRowHasher hasher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        var flags = (ReadOnly ? raw.SQLITE_OPEN_READONLY : raw.SQLITE_OPEN_READWRITE) | raw.SQLITE_OPEN_NOMUTEX;
        var rc = raw.sqlite3_open_v2(Path, out var db, flags, null);
        using (db)
        {
            try
            {
                SqliteException.ThrowExceptionForRC(rc, db);
                raw.sqlite3_busy_timeout(db, 10_000);
                SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, RangeSql, out var statement), db);
                using (statement)
                {
                    raw.sqlite3_bind_int64(statement, 1, afterSeq);
                    raw.sqlite3_bind_int64(statement, 2, upToSeq);
                    var s = statement.DangerousGetHandle();
                    var rows = 0;
                    while ((rc = sqlite3_step(s)) == raw.SQLITE_ROW)
                    {
                        if ((++rows & 4095) == 0) cancellationToken.ThrowIfCancellationRequested();
                        AddRow(s, hasher);
                    }
                    if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
                }
            }
            catch (SqliteException e)
            {
                throw Translate(e);
            }
        }
    }

    private static void AddRow(nint s, AuditRowHasher hasher)
    {
        var nulls = AuditRowNulls.None;
        if (sqlite3_column_type(s, 1) == raw.SQLITE_NULL) nulls |= AuditRowNulls.Malformed;
        var type = Text(s, 2, AuditRowNulls.Malformed, ref nulls);
        var actorKind = Text(s, 3, AuditRowNulls.Malformed, ref nulls);
        var actorId = Text(s, 4, AuditRowNulls.Malformed, ref nulls);
        var actorName = Text(s, 5, AuditRowNulls.Malformed, ref nulls);
        var outcome = Text(s, 6, AuditRowNulls.Malformed, ref nulls);
        var target = Text(s, 7, AuditRowNulls.Target, ref nulls);
        var reason = Text(s, 8, AuditRowNulls.Reason, ref nulls);
        var sourceIp = Text(s, 9, AuditRowNulls.SourceIp, ref nulls);
        var sourceUserAgent = Text(s, 10, AuditRowNulls.SourceUserAgent, ref nulls);
        var requestId = Text(s, 11, AuditRowNulls.RequestId, ref nulls);
        var details = Text(s, 12, AuditRowNulls.Malformed, ref nulls);
        var prevHash = Blob(s, 13, ref nulls);
        var hash = Blob(s, 14, ref nulls);
        hasher.Add(new AuditRow
        {
            Seq = sqlite3_column_int64(s, 0),
            TimeMicros = sqlite3_column_int64(s, 1),
            Type = type,
            ActorKind = actorKind,
            ActorId = actorId,
            ActorName = actorName,
            Outcome = outcome,
            Target = target,
            Reason = reason,
            SourceIp = sourceIp,
            SourceUserAgent = sourceUserAgent,
            RequestId = requestId,
            Details = details,
            PrevHash = prevHash,
            Hash = hash,
            Nulls = nulls,
        });
    }

    /// <summary>A text column's UTF-8 bytes (valid until the next step), or <paramref name="ifNull"/> added to the flags.</summary>
    private static unsafe ReadOnlySpan<byte> Text(nint s, int column, AuditRowNulls ifNull, ref AuditRowNulls nulls)
    {
        var text = sqlite3_column_text(s, column);
        var length = sqlite3_column_bytes(s, column);
        if (length > 0) return new ReadOnlySpan<byte>(text, length);
        // Only an empty value can be NULL: one call less per column on the common path.
        if (sqlite3_column_type(s, column) == raw.SQLITE_NULL) nulls |= ifNull;
        return [];
    }

    /// <summary>A hash column: a BLOB, anything else marks the row malformed (ADO.NET could not read it as bytes).</summary>
    private static unsafe ReadOnlySpan<byte> Blob(nint s, int column, ref AuditRowNulls nulls)
    {
        if (sqlite3_column_type(s, column) != raw.SQLITE_BLOB)
        {
            nulls |= AuditRowNulls.Malformed;
            return default;
        }
        var blob = sqlite3_column_blob(s, column);
        return new ReadOnlySpan<byte>(blob, sqlite3_column_bytes(s, column));
    }
}
