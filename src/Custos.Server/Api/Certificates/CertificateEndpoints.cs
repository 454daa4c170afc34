using Custos.Core.Credentials;
using Custos.Server.Certificates;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api.Certificates;

/// <summary>
/// The certificate authority API: the CAs' public keys (no authentication — they are what nodes and clients trust)
/// and per-target SSH user certificates (any session; the policy engine decides). See docs/ssh-access.md.
/// </summary>
public static class CertificateEndpoints
{
    public static IEndpointRouteBuilder MapCertificates(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/ca/ssh/{type}", (string type, SshCaService ca) =>
        {
            if (!SshCaNames.TryParseType(type, out var caType)) return Problems.NotFound("no such CA: expected /v1/ca/ssh/user or /v1/ca/ssh/host");
            var authority = ca.Get(caType);
            var keys = authority.Trusted.Select(k => new CaPublicKeyDto(k.Id, k.PublicKey, SshCaService.Fingerprint(k), k.State.ToName(), Core.Audit.AuditChain.FormatTime(k.CreatedAt))).ToList();
            return Results.Ok(new CaPublicKeysResponse(caType.ToName(), keys, string.Concat(keys.Select(k => k.PublicKey + "\n"))));
        }).AllowAnonymousCaller().WithTags("ca").WithName("GetSshCa").Produces<CaPublicKeysResponse>().ProducesProblem(404)
          .WithSummary("The SSH user or host CA's public keys to trust (the active one first; both during a rotation).");

        app.MapPost("/v1/certs/ssh", async (HttpContext http, SshCertificateIssuer issuer, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<SshCertificateRequest>(http, 64 * 1024, ct);
            return problem ?? await issuer.IssueAsync(http.Principal(), body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).RequireSession().WithTags("ca").WithName("IssueSshCertificate").Accepts<SshCertificateRequest>("application/json").Produces<SshCertificateResponse>()
          .ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(429)
          .WithSummary("A short-lived SSH user certificate for one node and login, decided by the policy engine (ssh.session, or ssh.exec with a command).");
        return app;
    }
}
