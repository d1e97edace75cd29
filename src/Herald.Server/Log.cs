using Microsoft.Extensions.Logging;

namespace Herald.Server;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Agent failed on task {TaskId}")]
    public static partial void AgentFailed(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Task {TaskId} canceled")]
    public static partial void TaskCanceled(ILogger logger, string taskId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Shutting down: canceling {Count} running task(s)")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Agent for task {TaskId} reported after the task ended")]
    public static partial void ReportAfterEnd(ILogger logger, string taskId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Renewing the runner lease of task {TaskId} failed; retrying at the next tick")]
    public static partial void LeaseRenewalFailed(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Releasing the runner lease of task {TaskId} failed; it will expire by itself")]
    public static partial void LeaseReleaseFailed(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Task {TaskId} failed: its runner lease expired (the process running its agent is gone)")]
    public static partial void LeaseExpired(ILogger logger, string taskId);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "Maintenance (lease recovery, retention) failed; retrying at the next interval")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "Reading the log of task {TaskId} failed; retrying with back-off (its streams send keep-alives, then end after StoreOutageStreamTimeout)")]
    public static partial void FeedFailed(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Writing the reports of task {TaskId} failed; retrying with back-off")]
    public static partial void StoreWriteFailing(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Writing the reports of task {TaskId} works again")]
    public static partial void StoreWriteRecovered(ILogger logger, string taskId);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "The store stayed unavailable past the retry horizon: the run of task {TaskId} is abandoned and the task will be failed")]
    public static partial void RunAbandoned(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Task {TaskId} failed: its run was abandoned because the store was unavailable")]
    public static partial void AbandonedRunEnded(ILogger logger, string taskId);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "The store is unavailable while following task {TaskId}; retrying with back-off")]
    public static partial void FeedUnavailable(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "A request failed because the task store is unavailable")]
    public static partial void RequestStoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Claiming runs to do failed; trying again with back-off")]
    public static partial void ClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Error, Message = "The run to do of task {TaskId} cannot be read; the task is failed")]
    public static partial void UnreadableRun(ILogger logger, string taskId, Exception exception);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Warning, Message = "Push delivery: the task store is unavailable; trying again with back-off")]
    public static partial void PushStoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Warning, Message = "Push delivery of event {Sequence} of task {TaskId} to config {ConfigId} failed (attempt {Attempts}): {Reason}; next attempt in {Delay}")]
    public static partial void PushDeliveryFailed(ILogger logger, string taskId, string configId, long sequence, int attempts, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "Push config {ConfigId} of task {TaskId} is failing after {Attempts} attempts ({Reason}); it is not delivered to until it is saved again")]
    public static partial void PushConfigFailing(ILogger logger, string taskId, string configId, int attempts, string reason);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Error, Message = "Push delivery to config {ConfigId} of task {TaskId} failed unexpectedly; retrying with back-off")]
    public static partial void PushDeliveryError(ILogger logger, string taskId, string configId, Exception exception);
}
