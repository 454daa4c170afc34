namespace Custos.Storage;

/// <summary>Why storage could not be used. Only <see cref="Unreachable"/> is worth retrying.</summary>
public enum StorageFailure
{
    /// <summary>The database server cannot be reached now (connection refused, timeout).</summary>
    Unreachable,

    /// <summary>The file or database is not a Custos database, or is damaged.</summary>
    Foreign,

    /// <summary>The schema was written by a newer Custos.</summary>
    TooNew,

    /// <summary>The location or settings are invalid.</summary>
    Configuration,
}

public sealed class StorageException(StorageFailure failure, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public StorageFailure Failure { get; } = failure;

    public bool IsTransient => Failure == StorageFailure.Unreachable;
}
