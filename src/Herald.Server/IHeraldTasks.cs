using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>
/// In-process access to tasks for code outside the agent: publish updates to a task by id (for
/// applications with their own domain events) and read a task's events from any position. Streams
/// to HTTP clients use the same log and the same reads.
/// </summary>
/// <remarks>
/// Each call names its <see cref="Caller"/>, with the same rules as <see cref="IHeraldEngine"/>: a task created here belongs
/// to the caller (and its tenant), and a task of another owner is unknown to it. Trusted code passes <see cref="Caller.System"/>,
/// which reaches every task.
/// </remarks>
public interface IHeraldTasks
{
    /// <summary>The task, or null when unknown (or not the caller's).</summary>
    ValueTask<AgentTask?> GetTaskAsync(Caller caller, string taskId, int? historyLength = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a task in the submitted state with an optional first message, without running the agent.</summary>
    ValueTask<AgentTask> CreateTaskAsync(Caller caller, string? contextId = null, Message? message = null, CancellationToken cancellationToken = default);

    /// <summary>Appends a status update; returns the event with its sequence.</summary>
    /// <exception cref="A2AException">Unknown task (-32001).</exception>
    /// <exception cref="TaskAlreadyTerminalException">The task is terminal.</exception>
    ValueTask<TaskEvent> UpdateStatusAsync(Caller caller, string taskId, TaskState state, Message? message = null, CancellationToken cancellationToken = default);

    /// <summary>Appends an artifact update; returns the event with its sequence.</summary>
    ValueTask<TaskEvent> AddArtifactAsync(Caller caller, string taskId, Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// The task's events after <paramref name="afterSequence"/> (0 = from the start), then the live tail.
    /// Ends after a terminal event, and after an interrupted one when <paramref name="stopAtInterrupt"/>.
    /// </summary>
    IAsyncEnumerable<TaskEvent> SubscribeAsync(Caller caller, string taskId, long afterSequence = 0, bool stopAtInterrupt = true, CancellationToken cancellationToken = default);
}
