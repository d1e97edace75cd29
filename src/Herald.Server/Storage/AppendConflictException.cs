namespace Herald.Server.Storage;

/// <summary>
/// An append named the sequence it expected to start at (<see cref="AppendOptions.ExpectedSequence"/>), and the
/// log holds other events there: the batch was not written. <see cref="LastSequence"/> is where the log ends now,
/// so the writer can append after it.
/// </summary>
public sealed class AppendConflictException : InvalidOperationException
{
    public AppendConflictException(string taskId, long expectedSequence, long lastSequence)
        : base($"Task '{taskId}' was expected to continue at sequence {expectedSequence}, but its log holds other events there (it ends at {lastSequence}).")
    {
        TaskId = taskId;
        ExpectedSequence = expectedSequence;
        LastSequence = lastSequence;
    }

    public AppendConflictException()
    {
        TaskId = "";
    }

    public AppendConflictException(string message)
        : base(message)
    {
        TaskId = "";
    }

    public AppendConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskId = "";
    }

    public string TaskId { get; }

    /// <summary>The sequence the append expected its first event to get.</summary>
    public long ExpectedSequence { get; }

    /// <summary>The log's last sequence when the append was refused.</summary>
    public long LastSequence { get; }
}
