using System.Text.Json;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// One entry of a task's append-only log. Immutable once appended; its wire encodings are computed
/// once and shared by every subscriber.
/// </summary>
public sealed class TaskEvent
{
    private byte[]? _v1Json;

    private TaskEvent(long sequence, TaskEventKind kind, DateTimeOffset timestamp)
    {
        Sequence = sequence;
        Kind = kind;
        Timestamp = timestamp;
    }

    /// <summary>Position in the task's log: 1 for the event that created the task, then 2, 3, ...</summary>
    public long Sequence { get; }

    public TaskEventKind Kind { get; }

    /// <summary>When the event was appended.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>For <see cref="TaskEventKind.Created"/>: the task as it was created.</summary>
    public AgentTask? CreatedTask { get; private init; }

    /// <summary>For <see cref="TaskEventKind.Message"/>: the message added to the history.</summary>
    public Message? Message { get; private init; }

    /// <summary>For <see cref="TaskEventKind.Status"/>.</summary>
    public TaskStatusUpdateEvent? StatusUpdate { get; private init; }

    /// <summary>For <see cref="TaskEventKind.Artifact"/>.</summary>
    public TaskArtifactUpdateEvent? ArtifactUpdate { get; private init; }

    /// <summary>True when the event is delivered to stream subscribers (status and artifact updates).</summary>
    public bool IsStreamed => Kind is TaskEventKind.Status or TaskEventKind.Artifact;

    /// <summary>True when a stream that delivers this event ends: a terminal or interrupted state.</summary>
    public bool EndsStream => StatusUpdate is { } s && s.Status.State.EndsStream();

    public static TaskEvent Created(long sequence, AgentTask task, DateTimeOffset timestamp) =>
        new(sequence, TaskEventKind.Created, timestamp) { CreatedTask = task };

    public static TaskEvent ForMessage(long sequence, Message message, DateTimeOffset timestamp) =>
        new(sequence, TaskEventKind.Message, timestamp) { Message = message };

    public static TaskEvent ForStatus(long sequence, TaskStatusUpdateEvent update, DateTimeOffset timestamp) =>
        new(sequence, TaskEventKind.Status, timestamp) { StatusUpdate = update };

    public static TaskEvent ForArtifact(long sequence, TaskArtifactUpdateEvent update, DateTimeOffset timestamp) =>
        new(sequence, TaskEventKind.Artifact, timestamp) { ArtifactUpdate = update };

    /// <summary>A copy of an unsequenced draft with the sequence the log assigned.</summary>
    public TaskEvent WithSequence(long sequence) => new(sequence, Kind, Timestamp)
    {
        CreatedTask = CreatedTask,
        Message = Message,
        StatusUpdate = StatusUpdate,
        ArtifactUpdate = ArtifactUpdate,
    };

    /// <summary>
    /// The v1.0 ProtoJSON <c>StreamResponse</c> of this event (<c>{"statusUpdate":{...}}</c> ...),
    /// serialized on first use and cached: every subscriber shares the same bytes.
    /// </summary>
    public ReadOnlyMemory<byte> GetV1Json()
    {
        var cached = Volatile.Read(ref _v1Json);
        if (cached is not null)
        {
            return cached;
        }

        var response = Kind switch
        {
            TaskEventKind.Status => new StreamResponse { StatusUpdate = StatusUpdate },
            TaskEventKind.Artifact => new StreamResponse { ArtifactUpdate = ArtifactUpdate },
            TaskEventKind.Message => new StreamResponse { Message = Message },
            _ => new StreamResponse { Task = CreatedTask },
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, A2AJsonContext.Default.StreamResponse);

        // Two racing readers may both serialize; either result is identical and one wins.
        return Interlocked.CompareExchange(ref _v1Json, bytes, null) ?? bytes;
    }
}
