namespace Custos.Ssh;

/// <summary>
/// The single exception type the library raises for malformed, truncated, oversized or unsupported
/// input in any OpenSSH format (wire data, keys, signatures, certificates, revocation lists, text files).
/// Parsers never let another exception type escape on hostile input.
/// </summary>
public sealed class SshFormatException : Exception
{
    public SshFormatException()
        : base("Malformed SSH data.")
    {
    }

    public SshFormatException(string message)
        : base(message)
    {
    }

    public SshFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
