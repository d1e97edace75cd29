using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>The outcome a sender waits for: a direct message, or the task (as of the position streaming starts from).</summary>
internal sealed record RunStart(Message? Reply, TaskSnapshot? Task);

/// <summary>One execution of the agent for one message.</summary>
internal sealed class AgentRun : IDisposable
{
    private readonly TaskCompletionSource<RunStart> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private volatile bool _taskExists;
    private volatile bool _reachedInterrupt;

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

    /// <summary>Completes when the execution has ended and left the engine's table of runs.</summary>
    public Task Finished => _finished.Task;

    /// <summary>
    /// True when this run's agent reported an interrupted state. On a follow-up turn the task is still
    /// interrupted from the previous turn until the agent reports, so the task's state alone cannot say
    /// whether this turn paused again or simply returned.
    /// </summary>
    public bool ReachedInterrupt => _reachedInterrupt;

    public void MarkReported(TaskState state)
    {
        if (state.IsInterrupted())
        {
            _reachedInterrupt = true;
        }
    }

    public void MarkFinished() => _finished.TrySetResult();

    /// <summary>Fires the agent's token; harmless when the run has just ended and been disposed.</summary>
    public async Task CancelAsync()
    {
        try
        {
            await Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

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
