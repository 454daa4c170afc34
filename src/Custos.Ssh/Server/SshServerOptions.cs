using Custos.Ssh.Authentication;
using Custos.Ssh.Connection;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Server;

/// <summary>Decides about a channel a client opens; see <see cref="ChannelOpenDecision"/>.</summary>
public delegate ValueTask<ChannelOpenDecision> SshChannelOpenHandler(SshServerSession session, SshChannelOpenRequest request, CancellationToken cancellationToken);

/// <summary>Server role settings. Immutable; <see cref="Validate"/> names the offending setting.</summary>
public sealed record SshServerOptions
{
    public SshTransportOptions Transport { get; init; } = new();

    /// <summary>Host keys (and host certificates), at least one.</summary>
    public IReadOnlyList<SshHostKey> HostKeys { get; init; } = [];

    /// <summary>Decides who gets in.</summary>
    public SshServerAuthenticator? Authenticator { get; init; }

    /// <summary>Decides about channels once authenticated. The default refuses every channel.</summary>
    public SshChannelOpenHandler? ChannelHandler { get; init; }

    /// <summary>Failed authentication attempts before the connection is dropped (OpenSSH MaxAuthTries).</summary>
    public int MaxAuthAttempts { get; init; } = 6;

    /// <summary>Time from connect to successful authentication (OpenSSH LoginGraceTime).</summary>
    public TimeSpan LoginGraceTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Connections still authenticating that <see cref="SshServer"/> admits at once (OpenSSH MaxStartups).</summary>
    public int MaxUnauthenticatedConnections { get; init; } = 64;

    /// <summary>
    /// Decides about tcpip-forward requests (RFC 4254 §7.1) and names the bound port; null refuses them all.
    /// <see cref="Forwarding.RemoteForwardListener.Grant"/> is a ready-made handler body that listens on TCP.
    /// </summary>
    public Forwarding.SshRemoteForwardHandler? RemoteForwardHandler { get; init; }

    /// <summary>Optional pre-authentication banner (RFC 4252 §5.4).</summary>
    public string? Banner { get; init; }

    public void Validate()
    {
        Transport.Validate();
        if (HostKeys.Count == 0)
        {
            throw new ArgumentException("HostKeys must contain at least one host key", nameof(HostKeys));
        }
        if (Authenticator is null)
        {
            throw new ArgumentException("Authenticator is required", nameof(Authenticator));
        }
        if (MaxAuthAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAuthAttempts), MaxAuthAttempts, "MaxAuthAttempts must be at least 1");
        }
        if (LoginGraceTime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LoginGraceTime), LoginGraceTime, "LoginGraceTime must be positive");
        }
        if (MaxUnauthenticatedConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUnauthenticatedConnections), MaxUnauthenticatedConnections, "MaxUnauthenticatedConnections must be at least 1");
        }
    }
}
