namespace Custos.Cli.Client;

/// <summary>
/// A failure to report as <c>custos COMMAND: MESSAGE</c> with an exit code (<see cref="ExitCodes"/>). The message is
/// written for the user and never contains a secret.
/// </summary>
public sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    public CliException()
    {
    }

    public CliException(string message) : base(message)
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public int ExitCode { get; } = ExitCodes.Failure;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
