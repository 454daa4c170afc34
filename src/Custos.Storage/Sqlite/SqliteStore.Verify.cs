using System.Runtime.InteropServices;
using Custos.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The verifier's read path: rows of audit_events handed over as SQLite's own UTF-8 column buffers through SQLite's
/// statement API, never as .NET strings (ADO.NET materialised ~10 strings and an event per row, which cost more than
/// hashing; docs/benchmarks.md). Text is read with <c>sqlite3_column_text</c>, the same conversion ADO.NET's GetString
/// starts from, so the bytes hashed are the same.
/// </summary>
public sealed partial class SqliteStore : IAuditRowReader
{
    private const string RangeSql = "SELECT " + EventColumns + " FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq";

    public void ReadRows(long afterSeq, long upToSeq, AuditRowHasher hasher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        using var connection = OpenSqliteAsync(cancellationToken).GetAwaiter().GetResult();
        var db = connection.Handle!;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, RangeSql, out var statement), db);
        using (statement)
        {
            raw.sqlite3_bind_int64(statement, 1, afterSeq);
            raw.sqlite3_bind_int64(statement, 2, upToSeq);
            int rc;
            var rows = 0;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((++rows & 4095) == 0) cancellationToken.ThrowIfCancellationRequested();
                AddRow(statement, hasher);
            }
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    private static void AddRow(sqlite3_stmt s, AuditRowHasher hasher)
    {
        var nulls = AuditRowNulls.None;
        if (raw.sqlite3_column_type(s, 1) == raw.SQLITE_NULL) nulls |= AuditRowNulls.Malformed;
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
            Seq = raw.sqlite3_column_int64(s, 0),
            TimeMicros = raw.sqlite3_column_int64(s, 1),
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
    private static ReadOnlySpan<byte> Text(sqlite3_stmt s, int column, AuditRowNulls ifNull, ref AuditRowNulls nulls)
    {
        var text = raw.sqlite3_column_text(s, column);
        var length = raw.sqlite3_column_bytes(s, column);
        if (length > 0) return MemoryMarshal.CreateReadOnlySpan(in text.GetPinnableReference(), length);
        // Only an empty value can be NULL: one call less per column on the common path.
        if (raw.sqlite3_column_type(s, column) == raw.SQLITE_NULL) nulls |= ifNull;
        return [];
    }

    /// <summary>A hash column: a BLOB, anything else marks the row malformed (ADO.NET could not read it as bytes).</summary>
    private static ReadOnlySpan<byte> Blob(sqlite3_stmt s, int column, ref AuditRowNulls nulls)
    {
        if (raw.sqlite3_column_type(s, column) != raw.SQLITE_BLOB)
        {
            nulls |= AuditRowNulls.Malformed;
            return default;
        }
        return raw.sqlite3_column_blob(s, column);
    }
}
