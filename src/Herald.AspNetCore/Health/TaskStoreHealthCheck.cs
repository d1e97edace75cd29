using Herald.Server.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Herald.AspNetCore.Health;

/// <summary>
/// Healthy when the task store answers a read within <see cref="Timeout"/>: one round trip to the database (SQLite's file,
/// PostgreSQL's server), for a task id that never exists. Unhealthy while the store is unavailable (the same faults that
/// make streams send keep-alives), with the reason; healthy again as soon as it answers.
/// </summary>
internal sealed class TaskStoreHealthCheck(TaskStore store) : IHealthCheck
{
    private const string ProbeTaskId = "herald-health-probe";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            await store.GetAsync(ProbeTaskId, 0, includeArtifacts: false, limit.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"The task store ({store.GetType().Name}) answers.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The task store did not answer within {Timeout.TotalSeconds:0} s.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var reason = TaskStore.IsTransient(ex) ? "The task store is unavailable" : "The task store failed";
            return new HealthCheckResult(context.Registration.FailureStatus, $"{reason}: {ex.Message}", ex);
        }
    }
}
