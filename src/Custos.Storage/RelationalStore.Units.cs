using System.Data.Common;

namespace Custos.Storage;

/// <summary>
/// Units of work for the identity store: one pooled connection, optionally one transaction that commits only when the
/// work says so (and rolls back on any exception), and translation of connection-level failures into
/// <see cref="StorageException"/> so callers fail closed.
/// </summary>
public abstract partial class RelationalStore
{
    /// <summary>What a transactional unit of work returns: its result and whether to commit.</summary>
    private readonly record struct TransactionOutcome<T>(T Result, bool Commit);

    private static TransactionOutcome<T> Commit<T>(T result) => new(result, true);

    private static TransactionOutcome<T> Rollback<T>(T result) => new(result, false);

    /// <summary>True when the exception is a unique (or primary key) constraint violation.</summary>
    protected abstract bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// A <see cref="StorageException"/> for failures that mean the database cannot be used now (connection lost,
    /// busy, damaged), or null to let the driver's exception through (a bug, not an outage).
    /// </summary>
    protected virtual StorageException? TranslateFailure(DbException exception) => null;

    /// <summary>
    /// Serialises, inside the caller's transaction, every change that could alter the set of active administrators.
    /// SQLite write transactions (BEGIN IMMEDIATE) already exclude each other; PostgreSQL takes a lock.
    /// </summary>
    protected virtual Task LockAdministratorsAsync(DbCommand command, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<T> RunAsync<T>(Func<DbCommand, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            return await work(command).ConfigureAwait(false);
        }
        catch (DbException e) when (TranslateFailure(e) is { } failure)
        {
            throw failure;
        }
    }

    private async Task<T> RunInTransactionAsync<T>(Func<DbCommand, Task<TransactionOutcome<T>>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            // SQLite: BEGIN IMMEDIATE (the driver's default), so the transaction holds the write lock from the start.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var outcome = await work(command).ConfigureAwait(false);
            if (outcome.Commit) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            else await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return outcome.Result;
        }
        catch (DbException e) when (TranslateFailure(e) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Prepares the command for one parameterised statement.</summary>
    private static DbCommand Sql(DbCommand command, string text, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        command.Parameters.Clear();
        command.CommandText = text;
        foreach (var (name, value) in parameters) Add(command, name, value);
        return command;
    }

    private static async Task<long> ScalarInt64Async(DbCommand command, CancellationToken cancellationToken) =>
        Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);

    private static long? ToMicros(DateTimeOffset? time) => time is { } t ? ToMicros(t) : null;

    private static DateTimeOffset? NullableMicros(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromMicros(reader.GetInt64(ordinal));

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static byte[] Bytes(DbDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);
}
