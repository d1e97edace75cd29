using Microsoft.Extensions.Logging;

namespace Herald.Client;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Stream of task {TaskId} dropped ({Reason}); reconnecting in {Delay} (attempt {Attempt})")]
    public static partial void Reconnecting(ILogger logger, string taskId, string reason, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Stream of task {TaskId} resumed after event {LastEventId} (with Last-Event-ID: {WithLastEventId})")]
    public static partial void Resumed(ILogger logger, string taskId, string? lastEventId, bool withLastEventId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Stream of task {TaskId} could not be resumed after {Attempts} attempts")]
    public static partial void GaveUp(ILogger logger, string taskId, int attempts, Exception? exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "The server refused to resume the stream of task {TaskId} (A2A error {Code}: {Reason}); GetTask says {State}")]
    public static partial void ResumeRefused(ILogger logger, string taskId, int code, string reason, Herald.Protocol.TaskState state);
}
