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
}
