using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// Drafts the events and tasks the engine writes: stamped with the engine's clock at millisecond precision and
/// checked against <see cref="HeraldOptions.MaxEventBytes"/>, so every writer (sender, runner, agent, maintenance,
/// shutdown) produces the same shapes. The store assigns the sequence.
/// </summary>
internal sealed class EventDrafts(HeraldOptions options, TimeProvider time)
{
    public TaskEvent Status(string taskId, string contextId, TaskState state, Message? message)
    {
        var update = new TaskStatusUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Status = new AgentTaskStatus { State = state, Message = message, Timestamp = Now() },
        };
        return CheckSize(TaskEvent.ForStatus(0, update, update.Status.Timestamp!.Value));
    }

    public TaskEvent Artifact(string taskId, string contextId, Artifact artifact, bool append, bool lastChunk)
    {
        var update = new TaskArtifactUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Artifact = artifact,
            Append = append ? true : null,
            LastChunk = lastChunk ? true : null,
        };
        return CheckSize(TaskEvent.ForArtifact(0, update, Now()));
    }

    public static AgentTask NewTask(string id, string contextId, Message? message, DateTimeOffset now) => new()
    {
        Id = id,
        ContextId = contextId,
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = now },
        History = message is null ? null : [message],
    };

    public DateTimeOffset Now()
    {
        // Millisecond precision, as on the wire: what GetTask returns equals what was streamed.
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>
    /// Refuses an event larger than <see cref="HeraldOptions.MaxEventBytes"/> before it reaches the log: streams never
    /// carry an event that clients would refuse. Serializing here is not extra work: the bytes are cached on the event.
    /// </summary>
    private TaskEvent CheckSize(TaskEvent draft)
    {
        var size = draft.GetV1Json().Length;
        return size <= options.MaxEventBytes
            ? draft
            : throw new ArgumentException(
                $"The event is {size:N0} bytes, more than the limit of {options.MaxEventBytes:N0} (HeraldOptions.MaxEventBytes): split the artifact into smaller chunks (append: true).",
                nameof(draft));
    }
}
