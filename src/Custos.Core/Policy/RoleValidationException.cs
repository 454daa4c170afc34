namespace Custos.Core.Policy;

/// <summary>A problem in a role document: the path of the value (<c>allow.resources[0].labels.env</c>), its line, and what is wrong.</summary>
public sealed record RoleValidationError(string Path, int Line, string Message)
{
    public override string ToString() =>
        Line > 0 ? $"{(Path.Length == 0 ? "(document)" : Path)}: {Message} (line {Line})" : $"{(Path.Length == 0 ? "(document)" : Path)}: {Message}";
}

/// <summary>A role document was refused; <see cref="Errors"/> lists every problem found, in document order.</summary>
public sealed class RoleValidationException : Exception
{
    public RoleValidationException()
        : this([])
    {
    }

    public RoleValidationException(string message)
        : this([new RoleValidationError("", 0, message)])
    {
    }

    public RoleValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new RoleValidationError("", 0, message)];
    }

    public RoleValidationException(IReadOnlyList<RoleValidationError> errors)
        : base(errors is { Count: > 0 } ? string.Join("; ", errors) : "invalid role document")
    {
        Errors = errors ?? [];
    }

    public IReadOnlyList<RoleValidationError> Errors { get; }
}
