using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Engine;

/// <summary>
/// The periodic work that keeps the store honest: tasks whose runner is gone are failed (their lease expired),
/// and ended tasks past the retention are deleted. Safe on every replica at once: the store decides each write.
/// </summary>
internal sealed class TaskMaintenance(TaskStore store, EventDrafts drafts, HeraldOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>Fails the tasks whose runner lease expired (their runner is gone); returns how many.</summary>
    public async Task<int> RecoverExpiredLeasesAsync(CancellationToken cancellationToken = default)
    {
        var failed = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            var expired = await store.FindExpiredLeasesAsync(100, cancellationToken).ConfigureAwait(false);
            var progressed = false;
            foreach (var taskId in expired)
            {
                var snapshot = await store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false);
                if (snapshot is null)
                {
                    continue;
                }

                var reason = Message.AgentText("The agent running this task stopped before finishing it (the server running it stopped or lost contact with the store).")
                    with { TaskId = taskId, ContextId = snapshot.Task.ContextId };
                var draft = drafts.Status(taskId, snapshot.Task.ContextId ?? "", TaskState.Failed, reason);
                if (await store.AppendIfLeaseExpiredAsync(taskId, draft, cancellationToken).ConfigureAwait(false) is not null)
                {
                    Telemetry.LeasesRecovered.Add(1);
                    failed++;
                    progressed = true;
                    Log.LeaseExpired(logger, taskId);
                }
            }

            if (expired.Count < 100 || !progressed)
            {
                return failed;
            }
        }
    }

    /// <summary>Deletes terminal tasks older than the retention; returns how many.</summary>
    public async Task<int> DeleteExpiredTasksAsync(CancellationToken cancellationToken = default)
    {
        if (options.TaskRetention is not { } retention || retention == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow() - retention;
        var deleted = 0;
        while (true)
        {
            var count = await store.DeleteEndedAsync(cutoff, 1000, cancellationToken).ConfigureAwait(false);
            Telemetry.RetentionDeleted.Add(count);
            deleted += count;
            if (count < 1000)
            {
                return deleted;
            }
        }
    }
}
