using Custos.Core.Credentials;
using Custos.Core.Policy;
using Custos.Server.Certificates;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api.Certificates;

/// <summary>
/// Node enrolment (join tokens, host-key challenges, join, sync), host trust for clients (known_hosts) and CA rotation.
/// Join and sync need no session: the one-time token, then the enrolled host key, is the credential. See
/// docs/ssh-access.md.
/// </summary>
public static class NodeEndpoints
{
    private const int MaxBody = 64 * 1024;

    public static IEndpointRouteBuilder MapNodes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/nodes/{name}/join-tokens", async (HttpContext http, string name, SshNodeService nodes, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<NodeJoinTokenRequest>(http, MaxBody, ct);
            return problem ?? await nodes.IssueJoinTokenAsync(http.Principal(), name, body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).RequireAction(PolicyActions.ResourcesWrite).WithTags("nodes").WithName("IssueNodeJoinToken").Accepts<NodeJoinTokenRequest>("application/json")
          .Produces<NodeJoinTokenResponse>().ProducesProblem(400).ProducesProblem(404)
          .WithSummary("A one-time join token for a registered ssh_node (custos node join on the node redeems it).");

        app.MapGet("/v1/nodes", async (SshNodeService nodes, CancellationToken ct) => Results.Ok(await nodes.ListAsync(ct)))
            .RequireAction(PolicyActions.ResourcesRead).WithTags("nodes").WithName("ListEnrolledNodes").Produces<EnrolledNodeListResponse>()
            .WithSummary("Every enrolled node: host key fingerprint, enrolment, last sync, host certificate.");

        app.MapPost("/v1/nodes/challenge", (SshNodeService nodes) => Results.Ok(nodes.Challenge()))
            .AllowAnonymousCaller().WithTags("nodes").WithName("NodeChallenge").Produces<NodeChallengeResponse>()
            .WithSummary("A fresh one-minute challenge for a node's host-key proof.");

        app.MapPost("/v1/nodes/join", async (HttpContext http, SshNodeService nodes, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<NodeJoinRequest>(http, MaxBody, ct);
            return problem ?? await nodes.JoinAsync(body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).AllowAnonymousCaller().WithTags("nodes").WithName("JoinNode").Accepts<NodeJoinRequest>("application/json").Produces<NodeBundleResponse>()
          .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409)
          .WithSummary("Enrol a node: redeem its join token, prove the host key, get a host certificate and sshd's files.");

        app.MapPost("/v1/nodes/{name}/sync", async (HttpContext http, string name, SshNodeService nodes, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<NodeSyncRequest>(http, MaxBody, ct);
            return problem ?? await nodes.SyncAsync(name, body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).AllowAnonymousCaller().WithTags("nodes").WithName("SyncNode").Accepts<NodeSyncRequest>("application/json").Produces<NodeBundleResponse>()
          .ProducesProblem(400).ProducesProblem(401).ProducesProblem(409)
          .WithSummary("Refresh an enrolled node's files (user CA keys, KRL) and renew its host certificate when due; authenticated by the host key.");

        app.MapGet("/v1/ca/ssh/host/known-hosts", async (SshNodeService nodes, CancellationToken ct) => Results.Ok(await nodes.KnownHostsAsync(ct)))
            .RequireAction(PolicyActions.ResourcesRead).WithTags("ca").WithName("SshKnownHosts").Produces<KnownHostsResponse>()
            .WithSummary("@cert-authority lines for the host CA, restricted to the enrolled nodes' names and addresses or ca.ssh.known_hosts_domain.");

        app.MapGet("/v1/ca/ssh/status", async (SshCaRotationService rotations, CancellationToken ct) => Results.Ok(await rotations.StatusAsync(ct)))
            .RequireAction(PolicyActions.ResourcesRead).WithTags("ca").WithName("SshCaStatus").Produces<CaStatusResponse>()
            .WithSummary("Each SSH CA's rotation phase and trusted keys.");

        app.MapPost("/v1/ca/ssh/{type}/rotate", async (HttpContext http, string type, SshCaRotationService rotations, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<CaRotateRequest>(http, MaxBody, ct);
            return problem ?? await rotations.RotateAsync(http.Principal(), type, body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).RequireAction(PolicyActions.ResourcesWrite).WithTags("ca").WithName("RotateSshCa").Accepts<CaRotateRequest>("application/json")
          .Produces<CaStatusResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409)
          .WithSummary("Start an automatic CA rotation, or make one manual step (init, update_clients, update_servers, standby, rollback).");
        return app;
    }
}
