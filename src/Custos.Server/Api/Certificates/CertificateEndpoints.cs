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
        app.MapGet("/v1/ca/ssh/krl", async (HttpContext http, SshRevocationService revocations, CancellationToken ct) =>
        {
            var (krl, etag) = await revocations.BuildKrlAsync(ct);
            http.Response.Headers.ETag = etag;
            if (http.Request.Headers.IfNoneMatch.Contains(etag)) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(krl, "application/octet-stream", "custos_user_ca.krl");
        }).AllowAnonymousCaller().WithTags("ca").WithName("GetSshKrl").Produces(200, contentType: "application/octet-stream").Produces(304)
          .WithSummary("The user CA's key revocation list in OpenSSH's KRL format (sshd RevokedKeys), with an ETag; If-None-Match gives 304.");

        app.MapGet("/v1/ca/ssh/revocations", (SshRevocationService revocations, CancellationToken ct) => revocations.ListAsync(ct))
            .RequireAction(Core.Policy.PolicyActions.SessionsRead).WithTags("ca").WithName("ListSshRevocations").Produces<SshRevocationListResponse>();
        app.MapPost("/v1/ca/ssh/revocations", async (HttpContext http, SshRevocationService revocations, CustosRuntime runtime, CancellationToken ct) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<SshRevocationRequest>(http, 64 * 1024, ct);
            return problem ?? await revocations.RevokeAsync(http.Principal(), body!, RequestInfo.From(http, runtime.Options.Identity), ct);
        }).RequireAction(Core.Policy.PolicyActions.SessionsRevoke).WithTags("ca").WithName("RevokeSshCertificates").Accepts<SshRevocationRequest>("application/json")
          .Produces<SshRevocationResponse>().ProducesProblem(400).ProducesProblem(404)
          .WithSummary("Revoke a certificate (serial), a key, or every certificate of an identity; the next KRL carries it.");
        return app;
    }
}
