namespace Herald.Server.Storage;

/// <summary>
/// A store operation failed for a reason that may pass (a dropped connection, a busy or locked database, a
/// timeout, a full disk, an I/O error): the caller may retry it. Stores translate their provider's transient
/// errors into this type and let everything else through; a refusal that is part of the store contract
/// (<see cref="TaskAlreadyExistsException"/>, <see cref="TaskAlreadyTerminalException"/>,
/// <see cref="LeaseLostException"/>, <see cref="AppendConflictException"/>, task not found) is never this type.
/// </summary>
/// <remarks>
/// A write that failed this way may or may not have been committed (<see cref="MayHaveCommitted"/>): retry an
/// append with <see cref="AppendOptions.ExpectedSequence"/> so that a retry after a commit finds its own events
/// instead of writing them twice.
/// </remarks>
public sealed class TaskStoreUnavailableException : Exception
{
    public TaskStoreUnavailableException()
        : base("The task store is unavailable.")
    {
    }

    public TaskStoreUnavailableException(string message)
        : base(message)
    {
    }

    public TaskStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the failed operation was a write whose outcome is unknown (the commit may have happened).</summary>
    public bool MayHaveCommitted { get; init; }
}
