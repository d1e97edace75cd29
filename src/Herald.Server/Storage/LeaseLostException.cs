namespace Herald.Server.Storage;

/// <summary>
/// An append from a runner was refused because the runner no longer holds the task's lease (it expired
/// and the task was failed, or another runner took over): the runner must stop.
/// </summary>
public sealed class LeaseLostException : InvalidOperationException
{
    public LeaseLostException(string taskId, string owner)
        : base($"The runner '{owner}' no longer holds the lease of task '{taskId}'.")
    {
        TaskId = taskId;
        Owner = owner;
    }

    public LeaseLostException()
    {
        TaskId = "";
        Owner = "";
    }

    public LeaseLostException(string message)
        : base(message)
    {
        TaskId = "";
        Owner = "";
    }

    public LeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskId = "";
        Owner = "";
    }

    public string TaskId { get; }

    public string Owner { get; }
}
