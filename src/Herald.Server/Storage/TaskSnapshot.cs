using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>A task as of a position in its log.</summary>
/// <param name="Task">The materialised task (the fold of events 1..<paramref name="Sequence"/>).</param>
/// <param name="Sequence">The sequence of the last event the snapshot includes.</param>
public sealed record TaskSnapshot(AgentTask Task, long Sequence)
{
    /// <summary>The task's A2A 1.1 generation at <see cref="Sequence"/> (<see cref="AgentTask.Generation"/>, which stores set; 0 when unknown).</summary>
    public long Generation => Task.Generation ?? 0;

    /// <summary>
    /// The trace context of the request that created the task or last continued it, when that request was traced
    /// (stores keep it with the task; it is never part of the wire task).
    /// </summary>
    public TaskTraceContext? TraceContext { get; init; }

    /// <summary>Whose the task is (kept by the store from the task's first write; never part of the wire task).</summary>
    public TaskOwner Owner { get; init; } = TaskOwner.Anonymous;
}
