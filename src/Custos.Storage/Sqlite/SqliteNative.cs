using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Custos.Storage.Sqlite;

/// <summary>
/// The handful of SQLite calls on the verifier's per-column path, bound directly to the bundled e_sqlite3 library
/// (the one SQLitePCLRaw loads) with plain pointers. Through SQLitePCLRaw each call took a SafeHandle reference and
/// went through a marshalling stub, and together they cost about a sixth of verify's CPU (docs/benchmarks.md). The
/// column accessors only read the current row (no I/O, no callbacks), so they skip the GC transition too.
/// </summary>
internal static unsafe partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    [LibraryImport(Library)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int sqlite3_step(nint statement);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int sqlite3_column_type(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial byte* sqlite3_column_text(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial byte* sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int sqlite3_column_bytes(nint statement, int column);
}
