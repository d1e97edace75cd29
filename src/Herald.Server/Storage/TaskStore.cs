using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// Where tasks live: one append-only event log per task, the materialised task kept up to date in
/// the same write, and the runner lease that says who runs the task's agent. This is the store SPI:
/// implement it to add a store (in memory in this assembly; SQLite and PostgreSQL in their own packages).
/// </summary>
/// <remarks>
/// Rules every store follows (checked by the shared conformance test suite):
/// <list type="bullet">
/// <item>Sequences start at 1 and have no gaps. A batch is appended whole or not at all, in order.</item>
/// <item>Nothing is appended to a terminal task (<see cref="TaskAlreadyTerminalException"/>); a terminal event clears the lease.</item>
/// <item>An append that names a lease owner is refused (<see cref="LeaseLostException"/>) unless that owner holds the task's lease.</item>
/// <item>Lease decisions (<see cref="ContinueAsync"/>, <see cref="AppendIfLeaseExpiredAsync"/>) are atomic with the append they guard.</item>
/// <item><see cref="WaitForEventsAsync"/> completes as soon as the log reaches beyond the given position, whoever appended.</item>
/// <item>Readers see an event only once it is durable: what a stream delivered is never lost by the store.</item>
/// </list>
/// </remarks>
public abstract class TaskStore
{
    /// <summary>A new, empty in-memory store (what <c>AddHerald()</c> uses unless told otherwise): fast, lost on restart.</summary>
    public static TaskStore CreateInMemory() => new InMemoryTaskStore();

    /// <summary>
    /// Creates a task; its log starts with a <see cref="TaskEventKind.Created"/> event at sequence 1.
    /// With <paramref name="lease"/>, the task is created already leased to that runner.
    /// </summary>
    /// <exception cref="TaskAlreadyExistsException">A task with this id exists (an <see cref="InvalidOperationException"/>).</exception>
    public abstract ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends events (unsequenced drafts, in order) to a task's log and folds them into the materialised
    /// task, in one atomic write. Returns the events with their assigned sequences.
    /// </summary>
    /// <exception cref="A2AException">The task does not exist (-32001).</exception>
    /// <exception cref="TaskAlreadyTerminalException">The task is already terminal.</exception>
    /// <exception cref="LeaseLostException"><see cref="AppendOptions.LeaseOwner"/> does not hold the task's lease.</exception>
    /// <exception cref="ArgumentException">The batch is empty, holds a created event, or has events after a terminal one.</exception>
    public abstract ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Appends one event; see the batch overload.</summary>
    public async ValueTask<TaskEvent> AppendAsync(string taskId, TaskEvent draft, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        var appended = await AppendAsync(taskId, [draft], options, cancellationToken).ConfigureAwait(false);
        return appended[0];
    }

    /// <summary>
    /// A follow-up message: atomically checks that the task is not terminal and that no live lease exists
    /// (none, or one that expired before <paramref name="now"/>), then takes <paramref name="lease"/> and
    /// appends <paramref name="message"/>. Nothing changes unless the outcome is <see cref="ContinueOutcome.Continued"/>.
    /// </summary>
    public abstract ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Extends the lease when <paramref name="owner"/> still holds it; false when it does not (the runner must stop).</summary>
    public abstract ValueTask<bool> RenewLeaseAsync(string taskId, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up when <paramref name="owner"/> holds it; otherwise does nothing.</summary>
    public abstract ValueTask ReleaseLeaseAsync(string taskId, string owner, CancellationToken cancellationToken = default);

    /// <summary>Non-terminal tasks whose lease expired before <paramref name="now"/>: their runner is gone.</summary>
    public abstract ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="draft"/> (a terminal status) only when the task is not terminal and its lease
    /// expired before <paramref name="now"/>, atomically; null when that no longer holds (the runner renewed,
    /// or someone else ended the task).
    /// </summary>
    public abstract ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="maxCount"/> terminal tasks (with their logs) whose final status is older than <paramref name="endedBefore"/>; returns how many.</summary>
    public abstract ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>The materialised task and the sequence it reflects, or null when unknown.</summary>
    public abstract ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="maxCount"/> events with sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    /// <exception cref="A2AException">The task does not exist (-32001).</exception>
    public abstract ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when the task's log holds an event after <paramref name="afterSequence"/> (at once if
    /// it already does, or if the task is gone). This is only a wake-up: callers read the events with <see cref="ReadAsync"/>.
    /// </summary>
    public abstract ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>A page of tasks, newest status timestamp first.</summary>
    public abstract ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default);

    /// <summary>Checks a batch against the rules every store enforces before touching anything.</summary>
    protected static void ValidateBatch(IReadOnlyList<TaskEvent> drafts)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        if (drafts.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one event.", nameof(drafts));
        }

        for (var i = 0; i < drafts.Count; i++)
        {
            var draft = drafts[i] ?? throw new ArgumentException("A batch holds no null events.", nameof(drafts));
            if (draft.Kind == TaskEventKind.Created)
            {
                throw new ArgumentException("A created event starts a log; it cannot be appended.", nameof(drafts));
            }

            if (draft.IsTerminal && i != drafts.Count - 1)
            {
                throw new ArgumentException("Nothing can follow a terminal event in a batch.", nameof(drafts));
            }
        }
    }
}

/// <summary>The right to run a task's agent: held by one runner at a time, until it expires or is released.</summary>
/// <param name="Owner">Identifies the runner (one agent execution); appends from it name it in <see cref="AppendOptions.LeaseOwner"/>.</param>
/// <param name="ExpiresAt">When the lease lapses unless renewed.</param>
public readonly record struct RunnerLease(string Owner, DateTimeOffset ExpiresAt);

/// <summary>Conditions and side effects of an append.</summary>
public readonly record struct AppendOptions
{
    /// <summary>When set, the append is from this runner and is refused unless it holds the lease (a fencing token).</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Gives the lease up in the same write (an agent that paused the task for input).</summary>
    public bool ReleaseLease { get; init; }
}

/// <summary>What <see cref="TaskStore.ContinueAsync"/> decided.</summary>
public enum ContinueOutcome
{
    /// <summary>The message was appended and the lease taken.</summary>
    Continued = 0,

    /// <summary>No such task.</summary>
    NotFound = 1,

    /// <summary>The task is terminal.</summary>
    Terminal = 2,

    /// <summary>A runner holds a live lease: the task is being worked on.</summary>
    Leased = 3,
}

/// <summary>The result of <see cref="TaskStore.ContinueAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="State">The task's state when the decision was taken (unspecified when not found).</param>
/// <param name="Message">The appended message event, when continued.</param>
public sealed record ContinueResult(ContinueOutcome Outcome, TaskState State, TaskEvent? Message);
