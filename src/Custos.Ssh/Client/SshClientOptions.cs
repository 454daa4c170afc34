using Custos.Ssh.Transport;

namespace Custos.Ssh.Client;

/// <summary>Client role settings.</summary>
public sealed record SshClientOptions
{
    public SshTransportOptions Transport { get; init; } = new();

    /// <summary>Decides whether the server's host key or certificate is trusted (pin or host CA).</summary>
    public required IHostKeyVerifier HostKeyVerifier { get; init; }

    /// <summary>
    /// Decides about forwarded-tcpip channels on remote forwards this client requested (RFC 4254 §7.2); null
    /// refuses them. Channels for forwards that were never granted are refused before this is asked.
    /// </summary>
    public Forwarding.SshForwardedTcpipHandler? ForwardedTcpipHandler { get; init; }

    public void Validate()
    {
        Transport.Validate();
        if (HostKeyVerifier is null || HostKeyVerifier.Algorithms.Count == 0)
        {
            throw new ArgumentException("HostKeyVerifier must accept at least one host key algorithm", nameof(HostKeyVerifier));
        }
    }
}

/// <summary>What a command run with <see cref="SshClientSession.ExecuteAsync"/> produced.</summary>
public sealed record SshCommandResult(byte[] StandardOutput, byte[] StandardError, uint? ExitStatus, string? ExitSignal)
{
    public string Output => System.Text.Encoding.UTF8.GetString(StandardOutput);
    public string Error => System.Text.Encoding.UTF8.GetString(StandardError);
}
