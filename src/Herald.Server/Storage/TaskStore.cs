using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// Where tasks live: one append-only event log per task, plus the materialised task kept up to date
/// in the same write. Implementations: in memory (this assembly), SQLite, PostgreSQL.
/// </summary>
/// <remarks>
/// Conformance rules every store follows (checked by the shared conformance test suite):
/// sequences start at 1 and have no gaps; an append to a task in a terminal state is refused with
/// <see cref="TaskAlreadyTerminalException"/>; <see cref="WaitForEventsAsync"/> completes as soon as the
/// log reaches beyond the given position, whoever appended.
/// </remarks>
public abstract class TaskStore
{
    /// <summary>Creates a task; its log starts with a <see cref="TaskEventKind.Created"/> event at sequence 1.</summary>
    /// <exception cref="InvalidOperationException">A task with this id exists.</exception>
    public abstract ValueTask<TaskEvent> CreateAsync(AgentTask task, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends one event (built from an unsequenced draft) to a task's log and folds it into the
    /// materialised task, atomically. Returns the event with its assigned sequence.
    /// </summary>
    /// <exception cref="A2AException">The task does not exist (-32001).</exception>
    /// <exception cref="TaskAlreadyTerminalException">The task is already terminal.</exception>
    public abstract ValueTask<TaskEvent> AppendAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default);

    /// <summary>The materialised task and the sequence it reflects, or null when unknown.</summary>
    public abstract ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="maxCount"/> events with sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    public abstract ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when the task's log holds an event after <paramref name="afterSequence"/> (at once if
    /// it already does). This is only a wake-up: callers read the events with <see cref="ReadAsync"/>.
    /// </summary>
    public abstract ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>A page of tasks, newest status timestamp first.</summary>
    public abstract ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default);
}
