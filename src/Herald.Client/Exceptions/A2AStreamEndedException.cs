using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// A stream ended before the task reached a terminal or interrupted state, and was not (or could not
/// be) resumed: the connection dropped with resumption off, no task id was known yet, or every
/// reconnection attempt failed. <see cref="Exception.InnerException"/> is the last failure, if any.
/// <see cref="TaskId"/> and <see cref="LastEventId"/> let a caller subscribe again later.
/// </summary>
public sealed class A2AStreamEndedException : A2AException
{
    public A2AStreamEndedException(string message, string? taskId, long? lastEventId, int resumeAttempts, Exception? innerException)
        : base(A2AErrorCodes.InternalError, message, innerException!)
    {
        TaskId = taskId;
        LastEventId = lastEventId;
        ResumeAttempts = resumeAttempts;
    }

    public A2AStreamEndedException()
        : this("The stream ended before the task reached a terminal or interrupted state.")
    {
    }

    public A2AStreamEndedException(string message)
        : base(A2AErrorCodes.InternalError, message)
    {
    }

    public A2AStreamEndedException(string message, Exception innerException)
        : base(A2AErrorCodes.InternalError, message, innerException)
    {
    }

    /// <summary>The task of the stream, when the stream got far enough to name it.</summary>
    public string? TaskId { get; }

    /// <summary>The id of the last event received, when the server sends numeric ids.</summary>
    public long? LastEventId { get; }

    /// <summary>How many reconnection attempts in a row failed before giving up (0 when none were made).</summary>
    public int ResumeAttempts { get; }
}
