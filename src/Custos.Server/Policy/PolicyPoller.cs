using Custos.Server.Hosting;
using Custos.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Policy;

/// <summary>
/// Notices policy changes made by other instances sharing the database: every <c>policy.poll_interval</c> (default 1 s)
/// it compares the store's policy version with the compiled one and recompiles when they differ. Local writes
/// recompile at once, without waiting for the poll.
/// </summary>
public sealed partial class PolicyPoller(PolicyService policy, CustosRuntime runtime, TimeProvider time, ILogger<PolicyPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(runtime.Options.PolicyPollInterval, time, stoppingToken).ConfigureAwait(false);
                if (!policy.IsLoaded) continue;
                await policy.RefreshAsync(force: false, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException e)
            {
                LogPollFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Polling the policy version failed (the compiled policy stays in force): {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
