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
/// <item>Lease decisions (<see cref="ContinueAsync"/>, <see cref="AppendIfLeaseExpiredAsync"/>, <see cref="ClaimRunAsync"/>) are atomic with the write they guard.</item>
/// <item>A run to do (<see cref="CreatePendingAsync"/>, <see cref="ContinuePendingAsync"/>) is recorded in the write that accepts its
/// message; it is claimed by at most one live lease at a time, removed when started or when the task ends, and a task with
/// a run to do is neither continued nor an orphan.</item>
/// <item><see cref="WaitForEventsAsync"/> completes as soon as the log reaches beyond the given position, whoever appended.</item>
/// <item>Readers see an event only once it is durable: what a stream delivered is never lost by the store.</item>
/// <item>Lease expiry is decided by the store's own clock (a database's <c>now()</c>, or the <see cref="TimeProvider"/> the
/// store was given): callers pass durations, never instants, so clock skew between processes cannot fail a healthy task.</item>
/// <item>A lease is cleared only by a write that ends the turn durably (a terminal event, or an append with
/// <see cref="AppendOptions.ReleaseLease"/>). A task whose turn began and whose lease is not live is an orphan
/// (<see cref="FindExpiredLeasesAsync"/>): its runner died or gave up.</item>
/// <item>Faults: an operation that failed for a reason that may pass throws <see cref="TaskStoreUnavailableException"/>
/// (and nothing else transient); contract answers throw the refusals named on each method. Appends with
/// <see cref="AppendOptions.ExpectedSequence"/> are idempotent, so a writer may retry a write whose outcome it does not know.</item>
/// </list>
/// </remarks>
public abstract class TaskStore
{
    private readonly Lock _runsGate = new();
    private TaskCompletionSource _runsRecorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _runsNotified;
    private readonly Lock _appendsGate = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _appendsNotified;

    /// <summary>A new, empty in-memory store (what <c>AddHerald()</c> uses unless told otherwise): fast, lost on restart.</summary>
    /// <param name="time">The clock leases expire by; the system clock when null.</param>
    public static TaskStore CreateInMemory(TimeProvider? time = null) => new InMemoryTaskStore(time);

    /// <summary>True when <paramref name="exception"/> says the operation may succeed if retried (<see cref="TaskStoreUnavailableException"/>).</summary>
    public static bool IsTransient(Exception exception) => exception is TaskStoreUnavailableException;

    /// <summary>
    /// Creates a task; its log starts with a <see cref="TaskEventKind.Created"/> event at sequence 1.
    /// With <paramref name="lease"/>, the task is created already leased to that runner. With <paramref name="traceContext"/>,
    /// the store keeps it with the task (<see cref="TaskSnapshot.TraceContext"/>) until a follow-up message brings another.
    /// <paramref name="owner"/> (null: <see cref="TaskOwner.Anonymous"/>) is kept with the task for good (<see cref="TaskSnapshot.Owner"/>,
    /// <see cref="TaskQuery.Owner"/>), written in the same write as the created event.
    /// </summary>
    /// <exception cref="TaskAlreadyExistsException">A task with this id exists (an <see cref="InvalidOperationException"/>).</exception>
    public abstract ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends events (unsequenced drafts, in order) to a task's log and folds them into the materialised
    /// task, in one atomic write. Returns the events with their assigned sequences.
    /// </summary>
    /// <exception cref="A2AException">The task does not exist (-32001).</exception>
    /// <exception cref="TaskAlreadyTerminalException">The task is already terminal.</exception>
    /// <exception cref="LeaseLostException"><see cref="AppendOptions.LeaseOwner"/> does not hold the task's lease.</exception>
    /// <exception cref="ArgumentException">The batch is empty, holds a created event, or has events after a terminal one.</exception>
    /// <exception cref="AppendConflictException"><see cref="AppendOptions.ExpectedSequence"/> was given and the log holds other events there.</exception>
    /// <exception cref="TaskStoreUnavailableException">The store could not be reached; the write may have happened (retry with an expected sequence).</exception>
    /// <remarks>
    /// With <see cref="AppendOptions.ExpectedSequence"/> the append is idempotent: when the log already holds, from that
    /// sequence on, events equal to the drafts (same kind and bytes), they are returned as if appended now and nothing is
    /// written; this check comes before every other, so a retry of a write that committed (and perhaps ended the task)
    /// succeeds. When the log ends just before that sequence, the batch is appended; otherwise the append is refused.
    /// </remarks>
    public abstract ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>Appends one event; see the batch overload.</summary>
    public async ValueTask<TaskEvent> AppendAsync(string taskId, TaskEvent draft, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        var appended = await AppendAsync(taskId, [draft], options, cancellationToken).ConfigureAwait(false);
        return appended[0];
    }

    /// <summary>
    /// A follow-up message: atomically checks that the task is not terminal and that no live lease exists
    /// (none, or one that expired by the store's clock), then takes <paramref name="lease"/> and
    /// appends <paramref name="message"/>. Nothing changes unless the outcome is <see cref="ContinueOutcome.Continued"/>.
    /// With <paramref name="expectedGeneration"/> (A2A 1.1 <c>ifGenerationMatch</c>), the task's generation must also equal
    /// it, decided in the same atomic step (<see cref="ContinueOutcome.GenerationMismatch"/> otherwise). The checks come in
    /// this order: not found, terminal, generation, lease. When continued and <paramref name="message"/> carries a
    /// <see cref="TaskEvent.TraceContext"/>, the store keeps it with the task in place of the one it had.
    /// </summary>
    public abstract ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the lease to <paramref name="duration"/> from now (the store's clock) when <paramref name="owner"/> still
    /// holds it; false when it does not (the runner must stop).
    /// </summary>
    public abstract ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renews several leases to <paramref name="duration"/> from now, as <see cref="RenewLeaseAsync"/> does each; returns the
    /// task ids whose lease its owner no longer holds (those runs must stop). A process renews all its runs' leases with one
    /// call per interval, so a store that can should do it in one write (the default renews them one by one).
    /// </summary>
    public virtual async ValueTask<IReadOnlyList<string>> RenewLeasesAsync(IReadOnlyList<LeaseRenewal> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        List<string>? refused = null;
        foreach (var lease in leases)
        {
            if (!await RenewLeaseAsync(lease.TaskId, lease.Owner, duration, cancellationToken).ConfigureAwait(false))
            {
                (refused ??= []).Add(lease.TaskId);
            }
        }

        return refused ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// Orphans: non-terminal tasks whose turn began under a runner lease that is no longer live by the store's clock (it
    /// expired and was never cleared by a write that ended or paused the turn). Their runner is gone.
    /// </summary>
    public abstract ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="draft"/> (a terminal status) only when the task is an orphan (see
    /// <see cref="FindExpiredLeasesAsync"/>), atomically; null when that no longer holds (the runner renewed,
    /// or someone else ended the task).
    /// </summary>
    public abstract ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a task with a run to do instead of a runner: the task is listed (as it was created, typically submitted) and
    /// <paramref name="run"/> (opaque bytes the engine reads back, at least one) is recorded in the same write, for whichever
    /// process claims it (<see cref="ClaimRunAsync"/>). <paramref name="traceContext"/> and <paramref name="owner"/> are kept with
    /// the task as by <see cref="CreateAsync"/>.
    /// </summary>
    /// <exception cref="TaskAlreadyExistsException">A task with this id exists (an <see cref="InvalidOperationException"/>).</exception>
    public abstract ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A follow-up message whose run is to be claimed: decides as <see cref="ContinueAsync"/> does (a task with a run to do
    /// counts as leased), then appends <paramref name="message"/> and records <paramref name="run"/> in the same write,
    /// taking no lease.
    /// </summary>
    public abstract ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the oldest run to do that nobody holds (never claimed, or claimed under a lease that expired before the run was
    /// started): takes <paramref name="lease"/> on its task, atomically, so two claimers never both win. The run stays
    /// recorded until <see cref="StartRunAsync"/>: a claimer that dies before starting it leaves it to be claimed again.
    /// Null when there is none.
    /// </summary>
    public abstract ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a claimed run started (its record is removed) when <paramref name="owner"/> still holds the task's live lease;
    /// false otherwise (the claim expired and someone else may hold it: the claimer must not run it). From then on the run
    /// is like any other: when its lease expires, the task is an orphan (<see cref="FindExpiredLeasesAsync"/>).
    /// </summary>
    public abstract ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when a run to do may have been recorded (a hint: claimers then try <see cref="ClaimRunAsync"/>), at once when
    /// one was since the last call, so that a run recorded between a claimer's last claim and its wait is not missed. The
    /// default completes at <see cref="NotifyRunsRecorded"/>, which a store calls when it records a run in this process; a
    /// store shared by processes also learns of the others' runs (PostgreSQL: a notification). Throws when
    /// <paramref name="cancellationToken"/> is canceled.
    /// </summary>
    public virtual ValueTask WaitForPendingRunsAsync(CancellationToken cancellationToken = default)
    {
        lock (_runsGate)
        {
            if (_runsNotified)
            {
                _runsNotified = false;
                return ValueTask.CompletedTask;
            }

            return new ValueTask(_runsRecorded.Task.WaitAsync(cancellationToken));
        }
    }

    /// <summary>Wakes <see cref="WaitForPendingRunsAsync"/>: a run to do was recorded (call it once the write is durable).</summary>
    protected void NotifyRunsRecorded()
    {
        TaskCompletionSource recorded;
        lock (_runsGate)
        {
            _runsNotified = true;
            recorded = _runsRecorded;
            _runsRecorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        recorded.TrySetResult();
    }

    /// <summary>
    /// Keeps a push-notification configuration with its task: a new one (by <see cref="TaskPushNotificationConfig.Id"/>, which
    /// the caller sets) starts its delivery cursor after <paramref name="afterSequence"/> (null: after the task's last event
    /// when it is kept, atomically), so it is sent every streamed event appended after that; one with the id of a kept
    /// configuration replaces its webhook settings and keeps its cursor. Deleted with the task.
    /// </summary>
    /// <exception cref="A2AException">The task does not exist (-32001).</exception>
    public abstract ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default);

    /// <summary>The task's configuration with <paramref name="configId"/>, or null.</summary>
    public abstract ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default);

    /// <summary>The task's configurations, oldest first (empty for an unknown task).</summary>
    public abstract ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the task's configuration with <paramref name="configId"/>; false when there was none.</summary>
    public abstract ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="maxCount"/> push configurations that have events to deliver: their cursor is before the
    /// end of their task's log, they are not failing, their next attempt is due (store clock), and no live delivery lease is
    /// held on them (none, or one that expired). Each is leased to <paramref name="owner"/> for <paramref name="lease"/>,
    /// atomically, so one process at a time delivers to a webhook. Oldest configurations first.
    /// </summary>
    public abstract ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the webhook acknowledged every event up to <paramref name="cursor"/> (it never moves back), resets the
    /// attempt count and renews the delivery lease to <paramref name="lease"/> from now, when <paramref name="owner"/> still
    /// holds it; false otherwise (the delivery must stop: another process may have taken over).
    /// </summary>
    public abstract ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives a delivery lease up when <paramref name="owner"/> holds it, recording how the delivery went (<paramref name="outcome"/>):
    /// the attempts so far, when the next may start, the last error, and whether the configuration is now failing (it is then
    /// no longer claimed until it is saved again). False when the lease was no longer <paramref name="owner"/>'s.
    /// </summary>
    public abstract ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when events may have been appended to any task (a hint: push delivery then looks for configs with events to
    /// deliver), at once when some were since the last call. The default completes at <see cref="NotifyEventsAppended"/>,
    /// which a store calls once appends are durable, its own and (for a shared store) other processes' as it learns of them.
    /// Callers also look on a timer, so a store that never calls it is only slower. Throws when <paramref name="cancellationToken"/> is canceled.
    /// </summary>
    public virtual ValueTask WaitForAppendedEventsAsync(CancellationToken cancellationToken = default)
    {
        lock (_appendsGate)
        {
            if (_appendsNotified)
            {
                _appendsNotified = false;
                return ValueTask.CompletedTask;
            }

            return new ValueTask(_appended.Task.WaitAsync(cancellationToken));
        }
    }

    /// <summary>Wakes <see cref="WaitForAppendedEventsAsync"/>: events were appended (call it once they are durable).</summary>
    protected void NotifyEventsAppended()
    {
        TaskCompletionSource appended;
        lock (_appendsGate)
        {
            if (_appendsNotified)
            {
                return; // nobody has looked since the last one: nothing more to say
            }

            _appendsNotified = true;
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
    }

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

    /// <summary>
    /// The idempotency check of an append with an expected sequence, for stores to share: true when
    /// <paramref name="stored"/> (the log's events from <paramref name="expectedSequence"/> on) holds the drafts.
    /// </summary>
    protected static bool HoldsDrafts(IReadOnlyList<TaskEvent> stored, IReadOnlyList<TaskEvent> drafts, long expectedSequence)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(drafts);
        if (stored.Count < drafts.Count)
        {
            return false;
        }

        for (var i = 0; i < drafts.Count; i++)
        {
            var have = stored[i];
            var want = drafts[i];
            if (have.Sequence != expectedSequence + i || have.Kind != want.Kind || !have.GetV1Json().Span.SequenceEqual(want.GetV1Json().Span))
            {
                return false;
            }
        }

        return true;
    }

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

/// <summary>A push configuration claimed for delivery (<see cref="TaskStore.ClaimPushDeliveriesAsync"/>).</summary>
/// <param name="TaskId">Its task.</param>
/// <param name="Config">The webhook.</param>
/// <param name="Cursor">The last sequence the webhook acknowledged: the events after it are to be delivered.</param>
/// <param name="Attempts">Failed attempts in a row so far (0 after a success).</param>
public sealed record PushDeliveryClaim(string TaskId, TaskPushNotificationConfig Config, long Cursor, int Attempts);

/// <summary>How a delivery ended, recorded when its lease is given up (<see cref="TaskStore.ReleasePushDeliveryAsync"/>).</summary>
/// <param name="Attempts">Failed attempts in a row (0 when the delivery caught up).</param>
/// <param name="RetryAfter">How long from now (store clock) before the next attempt; zero for at once.</param>
/// <param name="Error">The last failure, for operators; null after a success.</param>
/// <param name="Failing">True when the retry horizon passed: the configuration is no longer delivered to until saved again.</param>
public readonly record struct PushDeliveryOutcome(int Attempts, TimeSpan RetryAfter, string? Error, bool Failing);

/// <summary>The right to run a task's agent: held by one runner at a time, until it expires or the turn ends.</summary>
/// <param name="Owner">Identifies the runner (one agent execution); appends from it name it in <see cref="AppendOptions.LeaseOwner"/>.</param>
/// <param name="Duration">How long the lease lasts unless renewed, counted by the store's clock from when the store takes it.</param>
public readonly record struct RunnerLease(string Owner, TimeSpan Duration);

/// <summary>A run to do that <see cref="TaskStore.ClaimRunAsync"/> gave to a claimer.</summary>
/// <param name="TaskId">The task to run.</param>
/// <param name="Run">The bytes recorded with the run.</param>
public sealed record ClaimedRun(string TaskId, ReadOnlyMemory<byte> Run);

/// <summary>One lease to renew in <see cref="TaskStore.RenewLeasesAsync"/>: the task and the runner that holds it.</summary>
public readonly record struct LeaseRenewal(string TaskId, string Owner);

/// <summary>Conditions and side effects of an append.</summary>
public readonly record struct AppendOptions
{
    /// <summary>When set, the append is from this runner and is refused unless it holds the lease (a fencing token).</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Gives the lease up in the same write (an agent that paused the task for input).</summary>
    public bool ReleaseLease { get; init; }

    /// <summary>
    /// The sequence the batch's first event must get: makes the append idempotent (see
    /// <see cref="TaskStore.AppendAsync(string, IReadOnlyList{TaskEvent}, AppendOptions, CancellationToken)"/>). Null appends at the end, whatever it is.
    /// </summary>
    public long? ExpectedSequence { get; init; }
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

    /// <summary>The task's generation is not the expected one (<see cref="ContinueResult.Generation"/> says what it is).</summary>
    GenerationMismatch = 4,
}

/// <summary>The result of <see cref="TaskStore.ContinueAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="State">The task's state when the decision was taken (unspecified when not found).</param>
/// <param name="Message">The appended message event, when continued.</param>
/// <param name="Generation">The task's generation when the decision was taken (0 when not found).</param>
public sealed record ContinueResult(ContinueOutcome Outcome, TaskState State, TaskEvent? Message, long Generation = 0);
