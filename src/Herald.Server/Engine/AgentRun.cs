using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>The outcome a sender waits for: a direct message, or the task (as of the position streaming starts from).</summary>
internal sealed record RunStart(Message? Reply, TaskSnapshot? Task);

/// <summary>One execution of the agent for one message.</summary>
internal sealed class AgentRun : IDisposable
{
    private readonly TaskCompletionSource<RunStart> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private volatile bool _taskExists;

    public AgentRun(string taskId, string contextId, Message message, SendMessageRequest request, AgentTask? existingTask)
    {
        TaskId = taskId;
        ContextId = contextId;
        Message = message;
        Request = request;
        ExistingTask = existingTask;
        _taskExists = existingTask is not null;
    }

    public string TaskId { get; }

    public string ContextId { get; }

    public Message Message { get; }

    public SendMessageRequest Request { get; }

    public AgentTask? ExistingTask { get; }

    public CancellationTokenSource Cancellation { get; } = new();

    public bool TaskExists => _taskExists;

    public bool Replied { get; private set; }

    /// <summary>Completes when the sender can answer: the task exists, or the agent replied directly.</summary>
    public Task<RunStart> Started => _started.Task;

    public SemaphoreSlim CreateGate => _createGate;

    public void MarkTaskCreated(TaskSnapshot snapshot)
    {
        _taskExists = true;
        _started.TrySetResult(new RunStart(null, snapshot));
    }

    public void Reply(Message message)
    {
        Replied = true;
        _started.TrySetResult(new RunStart(message, null));
    }

    public void Fail(Exception exception) => _started.TrySetException(exception);

    public void Dispose()
    {
        Cancellation.Dispose();
        _createGate.Dispose();
    }
}
