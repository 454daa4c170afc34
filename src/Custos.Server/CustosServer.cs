using System.Text.Json;
using Custos.Core.Audit;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Custos.Server.Api.Policy;
using Custos.Server.Policy;
using Custos.Core.Policy;
using Custos.Server.Identity;
using Custos.Server.Configuration;
using Custos.Server.Hosting;
using Custos.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Custos.Server;

/// <summary>
/// <c>custos serve</c>: prepares the data directory (master key, TLS), opens storage, and runs the HTTPS API with
/// health, metrics, OpenAPI and the audit API. Exit codes: 0 clean shutdown, 1 start-up failure, 2 configuration error.
/// </summary>
public static class CustosServer
{
    public static async Task<int> RunAsync(CustosOptions options, CancellationToken cancellationToken = default)
    {
        WebApplication app;
        try
        {
            app = Build(options, TimeProvider.System);
        }
        catch (Exception e) when (e is InvalidOperationException or StorageException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("custos serve: " + e.Message).ConfigureAwait(false);
            return e is StorageException { Failure: StorageFailure.Configuration } ? 2 : 1;
        }
        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        if (StartupService.FatalError is { } fatal)
        {
            await Console.Error.WriteLineAsync("custos serve: " + fatal).ConfigureAwait(false);
            return 1;
        }
        return 0;
    }

    public static WebApplication Build(CustosOptions options, TimeProvider time)
    {
        var dataDirectory = new DataDirectory(options.DataDir);
        dataDirectory.EnsureCreated();
        MasterKey masterKey;
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        RelationalStore store;
        DatabaseLocation location;
        // Another process starting on the same directory finishes creating the key files and database first.
        using (dataDirectory.LockForInitialization(TimeSpan.FromSeconds(60)))
        {
            masterKey = dataDirectory.LoadMasterKey(create: true, Environment.GetEnvironmentVariable(DataDirectory.MasterKeyEnvironmentVariable));
            certificate = TlsCertificates.LoadOrCreate(dataDirectory, options.TlsCert, options.TlsKey, options.TlsSans, time, out _);
            location = options.DatabaseUrl is null ? DatabaseLocation.SqliteFile(dataDirectory.DatabaseFile) : DatabaseLocation.Parse(options.DatabaseUrl);
            store = StoreFactory.Open(location);
            if (location.Engine == DatabaseEngine.Sqlite)
            {
                // A foreign, corrupt or too-new SQLite file is refused before anything listens.
                store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Custos", ContentRootPath = dataDirectory.Root });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(Enum.Parse<LogLevel>(options.LogLevel, ignoreCase: true));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.HttpMaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(masterKey);
        builder.Services.AddSingleton(new CustosRuntime
        {
            Store = store,
            Options = options,
            DataDirectory = dataDirectory,
            SchemaReady = location.Engine == DatabaseEngine.Sqlite,
        });
        builder.Services.AddHostedService<StartupService>();
        AddIdentity(builder.Services, store, options, time);
        builder.Services.AddSingleton<IPolicyStore>(store);
        builder.Services.AddSingleton<PolicyService>();
        builder.Services.AddSingleton<PolicyAdminService>();
        builder.Services.AddSingleton<AccessQueryService>();
        builder.Services.AddHostedService<PolicyPoller>();
        builder.Services.AddSingleton<Custos.Core.Credentials.ISshCaStore>(store);
        builder.Services.AddSingleton<Custos.Core.Crypto.ISecretStore>(store);
        builder.Services.AddSingleton<Certificates.SshCaService>();
        builder.Services.AddSingleton<Certificates.SshCertificateIssuer>();
        builder.Services.AddSingleton<Custos.Core.Credentials.ISshRevocationStore>(store);
        builder.Services.AddSingleton<Certificates.SshRevocationService>();
        builder.Services.AddSingleton<Custos.Core.Credentials.ISshNodeStore>(store);
        builder.Services.AddSingleton<Custos.Core.Credentials.ISshCaRotationStore>(store);
        builder.Services.AddSingleton<Certificates.SshNodeService>();
        builder.Services.AddSingleton<Certificates.SshCaRotationService>();
        builder.Services.AddHostedService<Certificates.SshCaRotationWorker>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions["request_id"] = ctx.HttpContext.TraceIdentifier;
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
        });
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Custos API";
            doc.Info.Description = "Privileged access management: audit, health and (in later versions) identity, policy and access.";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusFor });
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            context.Response.Headers["Cache-Control"] = "no-store";
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            context.Response.Headers["Strict-Transport-Security"] = "max-age=31536000";
            await next(context).ConfigureAwait(false);
        });
        app.UseHttpMetrics();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (PasswordHasherBusyException e) when (!context.Response.HasStarted)
            {
                // A login storm waits for Argon2id slots; past the queue timeout the client is told to come back.
                await Problems.Busy(e.Message, TimeSpan.FromSeconds(1)).ExecuteAsync(context).ConfigureAwait(false);
            }
        });
        app.UseRouting();
        app.UseCustosAuthentication();
        RegisterMetrics(app.Services.GetRequiredService<CustosRuntime>());

        app.MapHealth();
        app.MapAudit();
        app.MapIdentity();
        app.MapWebAuthn();
        app.MapPolicy();
        Api.Certificates.CertificateEndpoints.MapCertificates(app);
        Api.Certificates.NodeEndpoints.MapNodes(app);
        app.MapMetrics("/metrics");
        app.MapOpenApi("/openapi.json");
        return app;
    }

    private static void AddIdentity(IServiceCollection services, RelationalStore store, CustosOptions options, TimeProvider time)
    {
        var identity = options.Identity;
        services.AddSingleton<IIdentityStore>(store);
        services.AddSingleton(_ => new PasswordHasher(PasswordHashParameters.Owasp, identity.PasswordHashConcurrency, identity.PasswordHashQueueTimeout));
        services.AddSingleton(_ => new SessionCache(store, time, identity.SessionCacheMaxAge));
        services.AddSingleton(_ => new LoginThrottle(store, time, identity.Lockout));
        services.AddSingleton<IdentityService>();
        services.AddSingleton<WebAuthnService>();
        services.AddHostedService<RevocationPoller>();
    }

    private static int StatusFor(Exception exception) => exception switch
    {
        AuditLogUnavailableException => StatusCodes.Status503ServiceUnavailable,
        PolicyUnavailableException => StatusCodes.Status503ServiceUnavailable,
        Certificates.SshCaUnavailableException => StatusCodes.Status503ServiceUnavailable,
        StorageException => StatusCodes.Status503ServiceUnavailable,
        Microsoft.AspNetCore.Http.BadHttpRequestException bad => bad.StatusCode,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static void RegisterMetrics(CustosRuntime runtime)
    {
        var appended = Metrics.CreateGauge("custos_audit_events_appended", "Audit events appended by this process since start.");
        var commits = Metrics.CreateGauge("custos_audit_commits", "Audit transactions committed by this process since start (events/commits = group-commit batch size).");
        var head = Metrics.CreateGauge("custos_audit_head_seq", "Sequence number of the newest durable audit event.");
        var ready = Metrics.CreateGauge("custos_ready", "1 when the database and audit log are writable.");
        var writable = Metrics.CreateGauge("custos_audit_writable", "1 when the last audit commit succeeded.");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            var audit = runtime.Audit;
            appended.Set(audit?.AppendedCount ?? 0);
            commits.Set(audit?.CommitCount ?? 0);
            head.Set(audit?.Head?.Seq ?? 0);
            ready.Set(runtime.NotReadyReason is null ? 1 : 0);
            writable.Set(audit is not null && audit.Fault is null ? 1 : 0);
        });
    }
}
