using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>An append was refused because the task is already in a terminal state.</summary>
public sealed class TaskAlreadyTerminalException : InvalidOperationException
{
    public TaskAlreadyTerminalException(string taskId, TaskState state)
        : base($"Task '{taskId}' is already {state.ToWireName()} and accepts no further updates.")
    {
        TaskId = taskId;
        State = state;
    }

    public TaskAlreadyTerminalException()
    {
        TaskId = "";
    }

    public TaskAlreadyTerminalException(string message)
        : base(message)
    {
        TaskId = "";
    }

    public TaskAlreadyTerminalException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskId = "";
    }

    public string TaskId { get; }

    public TaskState State { get; }
}
