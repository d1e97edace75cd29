namespace Herald.Server.Storage;

/// <summary>
/// <see cref="TaskStore.CreateAsync"/> was refused because a task with that id exists. It derives from
/// <see cref="InvalidOperationException"/>, what the store contract has always promised for a duplicate,
/// so that callers can tell a duplicate apart from any other failure by type.
/// </summary>
public sealed class TaskAlreadyExistsException : InvalidOperationException
{
    public TaskAlreadyExistsException(string taskId)
        : base($"Task '{taskId}' already exists.")
    {
        TaskId = taskId;
    }

    public TaskAlreadyExistsException()
    {
        TaskId = "";
    }

    public TaskAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskId = "";
    }

    /// <summary>The id that is taken.</summary>
    public string TaskId { get; }
}
