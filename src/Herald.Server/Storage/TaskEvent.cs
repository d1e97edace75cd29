using System.Text.Json;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// One entry of a task's append-only log. Immutable once appended. Its wire encodings are computed
/// once and shared by every subscriber; an event read back from a durable store is rebuilt from its
/// stored v1.0 bytes, which then serve as its v1.0 encoding without serializing again.
/// </summary>
public sealed class TaskEvent
{
    private readonly TaskState _state;
    private byte[]? _v1Json;
    private object? _content;
    private byte[]?[]? _encoded;

    private TaskEvent(long sequence, TaskEventKind kind, DateTimeOffset timestamp, TaskState state, object? content, byte[]? v1Json, long generation = 0, TaskTraceContext? traceContext = null)
    {
        TraceContext = traceContext;
        Sequence = sequence;
        Generation = generation;
        Kind = kind;
        Timestamp = timestamp;
        _state = state;
        _content = content;
        _v1Json = v1Json;
    }

    /// <summary>Position in the task's log: 1 for the event that created the task, then 2, 3, ...; 0 for an unsequenced draft.</summary>
    public long Sequence { get; }

    /// <summary>
    /// The task's A2A 1.1 generation after this event (0 for a draft): 1 for the created event, one more for each
    /// status or artifact update, unchanged by entries that are not streamed (a follow-up message). Unlike
    /// <see cref="Sequence"/> it has no gaps between the events a stream delivers. Stores assign it with the
    /// sequence (see <see cref="NextGeneration"/>).
    /// </summary>
    public long Generation { get; }

    public TaskEventKind Kind { get; }

    /// <summary>
    /// For the event that created or continued a task (a created event, or the message of a follow-up): the trace context
    /// of the request that did it, when it was traced. Never part of the event's wire bytes.
    /// </summary>
    public TaskTraceContext? TraceContext { get; }

    /// <summary>When the event was appended (millisecond precision, as on the wire).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>For <see cref="TaskEventKind.Created"/>: the task as it was created.</summary>
    public AgentTask? CreatedTask => Kind == TaskEventKind.Created ? (AgentTask)Content : null;

    /// <summary>For <see cref="TaskEventKind.Message"/>: the message added to the history.</summary>
    public Message? Message => Kind == TaskEventKind.Message ? (Message)Content : null;

    /// <summary>For <see cref="TaskEventKind.Status"/>.</summary>
    public TaskStatusUpdateEvent? StatusUpdate => Kind == TaskEventKind.Status ? (TaskStatusUpdateEvent)Content : null;

    /// <summary>For <see cref="TaskEventKind.Artifact"/>.</summary>
    public TaskArtifactUpdateEvent? ArtifactUpdate => Kind == TaskEventKind.Artifact ? (TaskArtifactUpdateEvent)Content : null;

    /// <summary>The state a status event moves the task to (the created state for a created event); unspecified otherwise.</summary>
    public TaskState State => _state;

    /// <summary>True when the event is delivered to stream subscribers (status and artifact updates).</summary>
    public bool IsStreamed => Kind is TaskEventKind.Status or TaskEventKind.Artifact;

    /// <summary>True for a status event that moves the task to a terminal state.</summary>
    public bool IsTerminal => Kind == TaskEventKind.Status && _state.IsTerminal();

    /// <summary>True when a stream that delivers this event ends: a terminal or interrupted state.</summary>
    public bool EndsStream => Kind == TaskEventKind.Status && _state.EndsStream();

    private object Content
    {
        get
        {
            var content = Volatile.Read(ref _content);
            if (content is not null)
            {
                return content;
            }

            // Rebuilt from stored bytes on first use; racing readers decode equal values and one wins.
            var decoded = Decode(Kind, _v1Json!);
            return Interlocked.CompareExchange(ref _content, decoded, null) ?? decoded;
        }
    }

    public static TaskEvent Created(long sequence, AgentTask task, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(sequence, TaskEventKind.Created, timestamp, task.Status.State, task, null);
    }

    public static TaskEvent ForMessage(long sequence, Message message, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(sequence, TaskEventKind.Message, timestamp, TaskState.Unspecified, message, null);
    }

    public static TaskEvent ForStatus(long sequence, TaskStatusUpdateEvent update, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new(sequence, TaskEventKind.Status, timestamp, update.Status.State, update, null);
    }

    public static TaskEvent ForArtifact(long sequence, TaskArtifactUpdateEvent update, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new(sequence, TaskEventKind.Artifact, timestamp, TaskState.Unspecified, update, null);
    }

    /// <summary>
    /// An event read back from a store: <paramref name="v1Json"/> is what <see cref="GetV1Json"/> returned
    /// when it was appended (the v1.0 <c>StreamResponse</c>). The content is decoded only if someone asks for it.
    /// </summary>
    /// <param name="sequence">The event's position in its log.</param>
    /// <param name="kind">What the event records.</param>
    /// <param name="timestamp">When it was appended.</param>
    /// <param name="state">The state of a status or created event (stores keep it beside the bytes so that end-of-stream checks need no decoding).</param>
    /// <param name="v1Json">The stored v1.0 <c>StreamResponse</c> bytes.</param>
    /// <param name="generation">The task's generation after the event (see <see cref="Generation"/>).</param>
    public static TaskEvent FromStored(long sequence, TaskEventKind kind, DateTimeOffset timestamp, TaskState state, byte[] v1Json, long generation)
    {
        ArgumentNullException.ThrowIfNull(v1Json);
        return new(sequence, kind, timestamp, state, null, v1Json, generation);
    }

    /// <summary>
    /// The generation after an event of <paramref name="kind"/> that follows an event with generation <paramref name="previous"/>:
    /// the one rule every store applies (1 for a created event, +1 for a streamed update, unchanged otherwise).
    /// </summary>
    public static long NextGeneration(long previous, TaskEventKind kind) => kind switch
    {
        TaskEventKind.Created => 1,
        TaskEventKind.Status or TaskEventKind.Artifact => previous + 1,
        _ => previous,
    };

    /// <summary>A copy of an unsequenced draft with the sequence the log assigned (generation 0); the encodings are shared.</summary>
    public TaskEvent WithSequence(long sequence) => new(sequence, Kind, Timestamp, _state, _content, _v1Json, 0, TraceContext);

    /// <summary>A copy of this event that carries <paramref name="traceContext"/> (see <see cref="TraceContext"/>); the encodings are shared.</summary>
    public TaskEvent WithTraceContext(TaskTraceContext? traceContext) =>
        ReferenceEquals(traceContext, TraceContext) ? this : new(Sequence, Kind, Timestamp, _state, _content, _v1Json, Generation, traceContext);

    /// <summary>
    /// A copy of an unsequenced draft at its place in the log: <paramref name="sequence"/>, and the generation that follows
    /// <paramref name="previousGeneration"/> (<see cref="NextGeneration"/>). The encodings are shared.
    /// </summary>
    public TaskEvent Sequenced(long sequence, long previousGeneration) =>
        new(sequence, Kind, Timestamp, _state, _content, _v1Json, NextGeneration(previousGeneration, Kind), TraceContext);

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

    /// <summary>This event in <paramref name="encoding"/>: encoded on first use, then shared by every caller.</summary>
    public ReadOnlyMemory<byte> GetEncoded(EventEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        return Cached(encoding.Slot) ?? Share(encoding.Slot, encoding.Encode(this));
    }

    /// <summary>
    /// This event in <paramref name="encoding"/> with <paramref name="context"/>: encoded on first use, then
    /// shared by every caller. The context must be the same for every caller of one event (see <see cref="EventEncoding{TContext}"/>).
    /// </summary>
    public ReadOnlyMemory<byte> GetEncoded<TContext>(EventEncoding<TContext> encoding, TContext context)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        return Cached(encoding.Slot) ?? Share(encoding.Slot, encoding.Encode(this, context));
    }

    private byte[]? Cached(int slot)
    {
        var slots = Volatile.Read(ref _encoded);
        return slots is not null && slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
    }

    private byte[] Share(int slot, byte[] bytes)
    {
        while (true)
        {
            var slots = Volatile.Read(ref _encoded);
            if (slots is null || slot >= slots.Length)
            {
                var grown = new byte[]?[Math.Max(slot + 1, EventEncoding.Count)];
                slots?.CopyTo(grown, 0);
                if (Interlocked.CompareExchange(ref _encoded, grown, slots) != slots)
                {
                    continue;
                }

                slots = grown;
            }

            return Interlocked.CompareExchange(ref slots[slot], bytes, null) ?? bytes;
        }
    }

    private static object Decode(TaskEventKind kind, byte[] v1Json)
    {
        var response = JsonSerializer.Deserialize(v1Json, A2AJsonContext.Default.StreamResponse)
            ?? throw new InvalidDataException("A stored event holds no StreamResponse.");
        object? content = kind switch
        {
            TaskEventKind.Created => response.Task,
            TaskEventKind.Message => response.Message,
            TaskEventKind.Status => response.StatusUpdate,
            TaskEventKind.Artifact => response.ArtifactUpdate,
            _ => null,
        };
        return content ?? throw new InvalidDataException($"A stored '{kind}' event does not hold the matching StreamResponse member.");
    }
}
