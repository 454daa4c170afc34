using System.Net;
using Custos.Core.Audit;

namespace Custos.Server.Configuration;

/// <summary>The validated configuration of <c>custos serve</c>. Every key is documented in docs/configuration.md.</summary>
public sealed record CustosOptions
{
    public required string DataDir { get; init; }
    public required IPEndPoint Listen { get; init; }
    public required string ListenHost { get; init; }
    public string? DatabaseUrl { get; init; }
    public TimeSpan DatabaseRetryMax { get; init; } = TimeSpan.FromSeconds(30);
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }
    public IReadOnlyList<string> TlsSans { get; init; } = [];
    public long HttpMaxBodyBytes { get; init; } = 1024 * 1024;
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BootstrapTokenTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often an instance checks the database's policy version and recompiles when another instance changed it.</summary>
    public TimeSpan PolicyPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest inventory import body (the YAML in JSON).</summary>
    public long PolicyImportMaxBytes { get; init; } = 32L * 1024 * 1024;
    public AuditLogOptions Audit { get; init; } = new();
    public string LogLevel { get; init; } = "Information";
    public IdentityOptions Identity { get; init; } = new();
    public SshCaOptions SshCa { get; init; } = new();
}

/// <summary>The SSH certificate authorities (<c>ca.ssh.*</c>).</summary>
public sealed record SshCaOptions
{
    /// <summary>Key type of CA keys created from now on: ed25519 or ecdsa-p256.</summary>
    public string Algorithm { get; init; } = "ed25519";

    /// <summary>Default (and largest) lifetime of a user certificate for direct access.</summary>
    public TimeSpan UserCertificateTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How far valid-after is backdated, for clocks of nodes that run a little behind.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Certificates one identity may be issued per minute (a token bucket per instance).</summary>
    public int IssueRatePerMinute { get; init; } = 60;

    /// <summary>How many certificates one identity may be issued at once before the rate applies.</summary>
    public int IssueBurst { get; init; } = 20;

    /// <summary>Lifetime of a host certificate given to an enrolled node (node sync renews it at half its life).</summary>
    public TimeSpan HostCertificateTtl { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The domain pattern (<c>*.nodes.example.com</c>) that <c>@cert-authority</c> lines are restricted to, or null to
    /// list every enrolled node's name and address.
    /// </summary>
    public string? KnownHostsDomain { get; init; }
}
