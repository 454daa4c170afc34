using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Crypto;
using Custos.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Hosting;

/// <summary>
/// Brings storage up in the background so the HTTP listener (and /healthz) answer at once: retries an unreachable
/// database with exponential back-off, migrates, opens the audit signing key, starts the audit log, issues the first
/// bootstrap token. On shutdown it records <c>server.stop</c> and flushes the audit log with a final checkpoint.
/// </summary>
public sealed partial class StartupService(
    CustosRuntime runtime,
    MasterKey masterKey,
    TimeProvider time,
    Policy.PolicyService policy,
    Certificates.SshCaService sshCa,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<StartupService>();
    private AuditLog? _audit;
    private AuditSigningKey? _key;

    /// <summary>Set when start-up failed for a reason retrying cannot fix; the process exits non-zero.</summary>
    public static string? FatalError { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await MigrateWithRetryAsync(stoppingToken).ConfigureAwait(false);
            await InitializeAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is StorageException or InvalidOperationException or AuditLogUnavailableException)
        {
            FatalError = e.Message;
            LogFatal(_logger, e.Message, e);
            runtime.SetNotReady(e.Message);
            lifetime.StopApplication();
        }
    }

    private async Task MigrateWithRetryAsync(CancellationToken stoppingToken)
    {
        if (runtime.SchemaReady) return;
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await runtime.Store.MigrateAsync(stoppingToken).ConfigureAwait(false);
                if (attempt > 1) LogDatabaseReached(_logger, runtime.Store.Engine.ToString(), attempt);
                return;
            }
            catch (StorageException e) when (e.IsTransient)
            {
                runtime.SetNotReady(e.Message);
                LogDatabaseUnreachable(_logger, e.Message, attempt, delay.TotalSeconds);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, runtime.Options.DatabaseRetryMax.Ticks));
            }
        }
    }

    private async Task InitializeAsync(CancellationToken stoppingToken)
    {
        var (key, created) = await Installation.LoadOrCreateAuditKeyAsync(runtime.Store, masterKey, stoppingToken).ConfigureAwait(false);
        _key = key;
        _audit = new AuditLog(runtime.Store, key, time, runtime.Options.Audit, loggerFactory.CreateLogger<AuditLog>());
        await _audit.StartAsync(stoppingToken).ConfigureAwait(false);
        if (created)
        {
            await _audit.AppendAsync(new AuditEntry("audit.key.create", AuditActor.System, AuditOutcome.Success, Target: "audit-key/" + key.KeyId,
                Details: new JsonObject { ["public_key"] = AuditSigningKey.FormatPublicKey(key.PublicKey) }), stoppingToken).ConfigureAwait(false);
        }
        await _audit.AppendAsync(new AuditEntry("server.start", AuditActor.System, AuditOutcome.Success,
            Details: new JsonObject
            {
                ["listen"] = runtime.Options.Listen.ToString(),
                ["database"] = runtime.Store.Engine.ToString().ToLowerInvariant(),
                ["version"] = typeof(StartupService).Assembly.GetName().Version?.ToString(),
            }), stoppingToken).ConfigureAwait(false);

        await policy.InitializeAsync(_audit, stoppingToken).ConfigureAwait(false);
        await sshCa.InitializeAsync(_audit, stoppingToken).ConfigureAwait(false);

        // The next command and "ready" are printed only once the HTTPS listener accepts connections: a script that
        // acts on them at once must not find the port closed.
        await WaitUntilListeningAsync(stoppingToken).ConfigureAwait(false);

        if (!await Installation.IsBootstrappedAsync(runtime.Store, stoppingToken).ConfigureAwait(false) &&
            await Installation.IssueFirstBootstrapTokenAsync(runtime.Store, _audit, runtime.DataDirectory, time,
                runtime.Options.BootstrapTokenTtl, stoppingToken).ConfigureAwait(false) is { } record)
        {
            // The terminal gets the file's path and the next command, never the token itself.
            var server = ClientUrl(runtime.Options);
            Console.Out.WriteLine(
                $"""

                Custos is initialised. A one-time bootstrap token (valid until {AuditChain.FormatTime(record.ExpiresAt)}) is in:
                    {runtime.DataDirectory.BootstrapTokenFile}
                Create the first administrator with:
                    custos admin bootstrap --server {server} --ca-file {runtime.DataDirectory.TlsCertificateFile} --token-file {runtime.DataDirectory.BootstrapTokenFile} --user admin --password-stdin

                """);
        }
        runtime.SetReady(_audit);
        LogReady(_logger, runtime.Options.Listen.ToString(), runtime.Store.Engine.ToString());
    }

    private async Task WaitUntilListeningAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>The URL a client on this machine uses: loopback for a wildcard address, IPv6 literals in brackets (RFC 3986 §3.2.2).</summary>
    private static string ClientUrl(Configuration.CustosOptions options)
    {
        var address = options.Listen.Address;
        var host = address.Equals(System.Net.IPAddress.Any) ? "127.0.0.1"
            : address.Equals(System.Net.IPAddress.IPv6Any) ? "[::1]"
            : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
            : options.ListenHost;
        return $"https://{host}:{options.Listen.Port}";
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_audit is not null)
        {
            try
            {
                await _audit.AppendAsync(new AuditEntry("server.stop", AuditActor.System, AuditOutcome.Success), cancellationToken).ConfigureAwait(false);
            }
            catch (AuditLogUnavailableException e)
            {
                LogStopNotRecorded(_logger, e.Message);
            }
            runtime.SetNotReady("shutting down");
            await _audit.DisposeAsync().ConfigureAwait(false);
            LogAuditFlushed(_logger, _audit.Head?.ToString() ?? "unknown");
        }
        _key?.Dispose();
        await runtime.Store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "{Reason} (attempt {Attempt}); retrying in {Seconds:0.##} s; /readyz fails until it recovers")]
    private static partial void LogDatabaseUnreachable(ILogger logger, string reason, int attempt, double seconds);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Database ({Engine}) reached after {Attempt} attempts")]
    private static partial void LogDatabaseReached(ILogger logger, string engine, int attempt);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Custos is ready on https://{Listen} ({Engine})")]
    private static partial void LogReady(ILogger logger, string listen, string engine);

    [LoggerMessage(EventId = 103, Level = LogLevel.Critical, Message = "Custos cannot start: {Reason}")]
    private static partial void LogFatal(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "server.stop could not be recorded: {Reason}")]
    private static partial void LogStopNotRecorded(ILogger logger, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Audit log flushed; head {Head}")]
    private static partial void LogAuditFlushed(ILogger logger, string head);
}
