using Custos.Core.Identity;
using Custos.Server.Hosting;
using Custos.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Identity;

/// <summary>
/// Drops cached sessions that another instance revoked. With several instances sharing PostgreSQL, a revoked token
/// keeps working on the other instances for at most <c>auth.revocation_poll_interval</c> (default 1 s) plus the poll's
/// own duration; on the instance that revoked it, the very next request is refused.
/// </summary>
public sealed partial class RevocationPoller(IIdentityStore store, SessionCache cache, CustosRuntime runtime, TimeProvider time, ILogger<RevocationPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = runtime.Options.Identity.RevocationPollInterval;
        // Overlap each poll with the previous one: clocks of instances differ a little, and commits land late.
        var overlap = TimeSpan.FromSeconds(5);
        var since = time.GetUtcNow() - overlap;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
                if (runtime.NotReadyReason is not null) continue;
                var now = time.GetUtcNow();
                var revoked = await store.ListSessionsRevokedSinceAsync(since, stoppingToken).ConfigureAwait(false);
                cache.InvalidateSessions(revoked);
                since = now - overlap;
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

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Polling for revoked sessions failed: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
