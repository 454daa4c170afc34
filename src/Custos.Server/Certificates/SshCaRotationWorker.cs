using Custos.Core.Credentials;
using Custos.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Certificates;

/// <summary>
/// Every <c>policy.poll_interval</c>: makes the due steps of automatic CA rotations (any instance may; the store lets
/// one win) and, when a rotation's version moved (here or on another instance), reloads the CA keys, so a step made
/// elsewhere signs and is trusted here too. CA keys change only through rotation steps, which bump the version.
/// </summary>
public sealed partial class SshCaRotationWorker(SshCaRotationService rotations, SshCaService ca, CustosRuntime runtime, TimeProvider time, ILogger<SshCaRotationWorker> logger) : BackgroundService
{
    private string? _seen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(runtime.Options.PolicyPollInterval, time, stoppingToken).ConfigureAwait(false);
                if (!ca.IsLoaded) continue;
                var stored = await rotations.AdvanceDueAsync(stoppingToken).ConfigureAwait(false);
                var versions = string.Join(',', stored.OrderBy(r => r.Type).Select(r => $"{r.Type.ToName()}:{r.Version}"));
                if (versions == _seen) continue;
                await ca.ReloadAsync(stoppingToken).ConfigureAwait(false);
                _seen = versions;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage or the audit log is unavailable: the keys in force stay, the step is retried next time.
                LogFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Checking the SSH CA rotation failed (the keys in force stay; retried): {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
