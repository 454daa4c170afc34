using System.Net;
using Custos.Core.Audit;
using Custos.Server.Configuration;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

/// <summary>Where a request came from, as the audit log and the lockout policy see it.</summary>
public sealed record RequestInfo(string? SourceIp, string? UserAgent, string RequestId)
{
    private const int MaxUserAgent = 256;

    public AuditSource Source => new(SourceIp, UserAgent);

    public static RequestInfo From(HttpContext http, IdentityOptions options)
    {
        var agent = http.Request.Headers.UserAgent.ToString();
        if (agent.Length > MaxUserAgent) agent = agent[..MaxUserAgent];
        return new RequestInfo(ClientAddress(http, options.TrustedProxies)?.ToString(), agent.Length == 0 ? null : agent, http.TraceIdentifier);
    }

    /// <summary>
    /// The peer address, or — only when the peer is a trusted proxy — the nearest address in X-Forwarded-For that is
    /// not itself a trusted proxy (walking from the right, so a client cannot forge its address by adding entries).
    /// </summary>
    public static IPAddress? ClientAddress(HttpContext http, IReadOnlyList<IPNetwork> trustedProxies)
    {
        var peer = http.Connection.RemoteIpAddress;
        if (peer is null) return null;
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (trustedProxies.Count == 0 || !IsTrusted(peer, trustedProxies)) return peer;
        var header = http.Request.Headers["X-Forwarded-For"].ToString();
        if (header.Length == 0 || header.Length > 2048) return peer;
        var hops = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop)) return peer; // a malformed chain: believe only the peer
            if (hop.IsIPv4MappedToIPv6) hop = hop.MapToIPv4();
            if (!IsTrusted(hop, trustedProxies)) return hop;
        }
        return peer;
    }

    private static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> networks)
    {
        foreach (var network in networks)
            if (network.Contains(address)) return true;
        return false;
    }
}
