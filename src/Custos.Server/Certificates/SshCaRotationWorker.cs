using Custos.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Certificates;

/// <summary>
/// Every <c>policy.poll_interval</c>: makes the due steps of automatic CA rotations (any instance may; the store lets
/// one win) and reloads the CA keys, so a rotation step made on another instance signs and is trusted here too.
/// </summary>
public sealed partial class SshCaRotationWorker(SshCaRotationService rotations, SshCaService ca, CustosRuntime runtime, TimeProvider time, ILogger<SshCaRotationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(runtime.Options.PolicyPollInterval, time, stoppingToken).ConfigureAwait(false);
                if (!ca.IsLoaded) continue;
                await rotations.AdvanceDueAsync(stoppingToken).ConfigureAwait(false);
                await ca.ReloadAsync(stoppingToken).ConfigureAwait(false);
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
