using Custos.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Custos.Server.Api;

/// <summary>/healthz: the process is up. /readyz: the database accepts writes and the audit log is writable.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }))
            .WithName("Healthz").WithTags("health").WithSummary("The process is up.");
        app.MapGet("/readyz", async (CustosRuntime runtime, CancellationToken cancellationToken) =>
        {
            if (runtime.NotReadyReason is { } reason) return Problems.Unavailable(reason);
            if (runtime.Audit?.Fault is { } fault) return Problems.Unavailable("the audit log cannot be written: " + fault.Message);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await runtime.Store.CheckWritableAsync(timeout.Token);
            }
            catch (Exception e) when (e is Storage.StorageException or OperationCanceledException)
            {
                return Problems.Unavailable(e is OperationCanceledException ? "the database did not answer within 5 s" : e.Message);
            }
            return Results.Ok(new { status = "ready", audit_head = runtime.Audit?.Head?.ToString() });
        }).WithName("Readyz").WithTags("health").WithSummary("The database and audit log are writable.");
        return app;
    }
}
