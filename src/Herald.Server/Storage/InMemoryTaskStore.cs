using System.Collections.Concurrent;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// Tasks in process memory: for tests and embedding. Each task has its own lock, list of events and
/// projection; readers are woken by a per-task signal and never block the appender. ListTasks reads
/// sorted indexes instead of sorting every task, and ended tasks are found for retention by a queue.
/// </summary>
internal sealed class InMemoryTaskStore(TimeProvider? time = null) : TaskStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, TaskLog> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskLog> _leased = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TaskLog, long> _pending = new();
    private long _pendingOrder;
    private readonly TaskListIndex _index = new();
    private readonly Lock _pushGate = new();
    private long _pushOrder;

    public override ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default) =>
        Create(task, lease, null, traceContext, owner);

    public override ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        ValidateRun(run);
        var created = Create(task, null, run.ToArray(), traceContext, owner);
        NotifyRunsRecorded();
        return created;
    }

    public override ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ValidateRun(run);
        var result = _tasks.TryGetValue(taskId, out var log)
            ? log.Continue(message, null, run.ToArray(), expectedGeneration, Now())
            : new ContinueResult(ContinueOutcome.NotFound, TaskState.Unspecified, null);
        if (result.Outcome == ContinueOutcome.Continued)
        {
            NotifyRunsRecorded();
        }

        return ValueTask.FromResult(result);
    }

    public override ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default)
    {
        var now = Now();

        // Oldest first; each candidate is decided under its own lock, so two claimers never both win.
        foreach (var (log, _) in _pending.OrderBy(p => p.Value))
        {
            if (log.TryClaim(lease, now) is { } run)
            {
                return ValueTask.FromResult<ClaimedRun?>(new ClaimedRun(log.TaskId, run));
            }
        }

        return ValueTask.FromResult<ClaimedRun?>(null);
    }

    public override ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) && log.Start(owner, Now()));

    private ValueTask<TaskEvent> Create(AgentTask task, RunnerLease? lease, byte[]? run, TaskTraceContext? traceContext, TaskOwner? owner)
    {
        ArgumentNullException.ThrowIfNull(task);
        var created = TaskEvent.Created(0, task, task.Status.Timestamp ?? DateTimeOffset.UtcNow).WithTraceContext(traceContext).Sequenced(1, 0);
        var log = new TaskLog(this, new TaskProjection(task), created, lease is { } l ? (l.Owner, Now() + l.Duration) : null, TaskOwner.Of(owner?.Principal, owner?.Tenant));

        // Indexed under the task's lock, before anyone can append to it: the index never misses a status change.
        lock (log.Gate)
        {
            if (!_tasks.TryAdd(task.Id, log))
            {
                throw new TaskAlreadyExistsException(task.Id);
            }

            _index.Add(log.Entry);
            if (lease is not null)
            {
                _leased[task.Id] = log;
            }

            if (run is not null)
            {
                log.RecordRunLocked(run);
            }
        }

        return ValueTask.FromResult(created);
    }

    public override ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        ValidateBatch(drafts);
        var appended = Find(taskId).Append(drafts, options);
        NotifyEventsAppended();
        return ValueTask.FromResult<IReadOnlyList<TaskEvent>>(appended);
    }

    public override ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log)
            ? log.Continue(message, lease, null, expectedGeneration, Now())
            : new ContinueResult(ContinueOutcome.NotFound, TaskState.Unspecified, null));
    }

    public override ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) && log.Renew(owner, Now() + duration));

    public override ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default)
    {
        var now = Now();
        var expired = new List<string>();
        foreach (var (id, log) in _leased)
        {
            if (expired.Count >= maxCount)
            {
                break;
            }

            if (log.LeaseExpiredAt(now))
            {
                expired.Add(id);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<string>>(expired);
    }

    public override ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var appended = _tasks.TryGetValue(taskId, out var log) ? log.AppendIfLeaseExpired(draft, Now()) : null;
        if (appended is not null)
        {
            NotifyEventsAppended();
        }

        return ValueTask.FromResult(appended);
    }

    public override ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        var removed = _index.RemoveEnded(endedBefore, maxCount);
        foreach (var entry in removed)
        {
            if (_tasks.TryRemove(entry.TaskId, out var log))
            {
                log.MarkDeleted();
            }
        }

        return ValueTask.FromResult(removed.Count);
    }

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) ? log.Snapshot(historyLength, includeArtifacts) : null);

    public override ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<TaskEvent>>(Find(taskId).Read(afterSequence, maxCount));

    public override ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default)
    {
        if (!_tasks.TryGetValue(taskId, out var log))
        {
            return ValueTask.CompletedTask; // gone: the caller's next read says so
        }

        var wait = log.WaitAfter(afterSequence);
        return wait.IsCompleted ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (entries, next, total) = _index.Page(query);
        var tasks = new List<AgentTask>(entries.Count);
        foreach (var entry in entries)
        {
            // A task deleted by retention between the index read and here is simply left out.
            if (_tasks.TryGetValue(entry.TaskId, out var log))
            {
                tasks.Add(log.Snapshot(query.HistoryLength, query.IncludeArtifacts).Task);
            }
        }

        return ValueTask.FromResult(new TaskPage(tasks, next, total));
    }

    public override ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        Find(taskId).SavePushConfig(config, afterSequence);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) ? log.GetPushConfig(configId) : null);

    public override ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) ? log.ListPushConfigs() : (IReadOnlyList<TaskPushNotificationConfig>)[]);

    public override ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) && log.DeletePushConfig(configId));

    public override ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default)
    {
        var now = Now();
        var claimed = new List<(long Order, PushDeliveryClaim Claim)>();
        lock (_pushGate)
        {
            // One claimer at a time, so that the maxCount oldest are taken and the rest stay free for others.
            foreach (var log in _tasks.Values)
            {
                log.ClaimPushDeliveries(owner, now, lease, claimed);
            }

            claimed.Sort((a, b) => a.Order.CompareTo(b.Order));
            foreach (var (_, extra) in claimed.Skip(maxCount))
            {
                _tasks.TryGetValue(extra.TaskId, out var log);
                log?.Unclaim(extra.Config.Id!, owner);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<PushDeliveryClaim>>([.. claimed.Take(maxCount).Select(c => c.Claim)]);
    }

    public override ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) && log.AdvancePushCursor(configId, owner, cursor, Now(), lease));

    public override ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) && log.ReleasePushDelivery(configId, owner, outcome, Now()));

    private DateTimeOffset Now() => _time.GetUtcNow();

    /// <summary>A push configuration's delivery state in memory (guarded by its task's lock).</summary>
    private sealed class PushState(TaskPushNotificationConfig config, long cursor, long order)
    {
        public TaskPushNotificationConfig Config { get; set; } = config;

        public long Cursor { get; set; } = cursor;

        public long Order { get; } = order;

        public int Attempts { get; set; }

        public DateTimeOffset NextAttempt { get; set; }

        public string? LeaseOwner { get; set; }

        public DateTimeOffset LeaseExpires { get; set; }

        public string? LastError { get; set; }

        public bool Failing { get; set; }
    }

    private static void ValidateRun(ReadOnlyMemory<byte> run)
    {
        if (run.IsEmpty)
        {
            throw new ArgumentException("A run to do is recorded with at least one byte.", nameof(run));
        }
    }

    private TaskLog Find(string taskId) =>
        _tasks.TryGetValue(taskId, out var log) ? log : throw A2AException.TaskNotFound(taskId);

    private sealed class TaskLog
    {
        private readonly InMemoryTaskStore _store;
        private readonly List<TaskEvent> _events = [];
        private readonly TaskProjection _projection;
        private string? _leaseOwner;
        private DateTimeOffset _leaseExpires;
        private bool _deleted;
        private byte[]? _run;

        // The trace context of the request that created or last continued the task.
        private TaskTraceContext? _traceContext;

        // Push-notification configurations, oldest first, each with its delivery state.
        private readonly List<PushState> _pushConfigs = [];

        // Completed and replaced on every append: all waiters share one signal, appenders never wait.
        private TaskCompletionSource _signal = NewSignal();

        public TaskLog(InMemoryTaskStore store, TaskProjection projection, TaskEvent created, (string Owner, DateTimeOffset ExpiresAt)? lease, TaskOwner owner)
        {
            _store = store;
            Owner = owner;
            _projection = projection;
            _events.Add(created);
            _traceContext = created.TraceContext;
            if (lease is { } l)
            {
                _leaseOwner = l.Owner;
                _leaseExpires = l.ExpiresAt;
            }

            Entry = new TaskListEntry(projection.Id, projection.ContextId, projection.Status.State, projection.StatusTimestamp.UtcTicks, owner);
        }

        public Lock Gate { get; } = new();

        /// <summary>Whose the task is; fixed at creation.</summary>
        public TaskOwner Owner { get; }

        public string TaskId => _projection.Id;

        /// <summary>This task's position in the list indexes; replaced (under both locks) when its status changes.</summary>
        public TaskListEntry Entry { get; private set; }

        public TaskEvent[] Append(IReadOnlyList<TaskEvent> drafts, AppendOptions options)
        {
            TaskCompletionSource toRelease;
            TaskEvent[] appended;
            lock (Gate)
            {
                ThrowIfDeleted();
                if (options.ExpectedSequence is { } expected)
                {
                    // Idempotency first: a retry of a write that happened (and perhaps ended the task) finds its events.
                    if (expected >= 1 && expected <= _events.Count)
                    {
                        // Only a retry looks back; an append at the end (every first try) copies nothing.
                        var from = (int)(expected - 1);
                        var stored = _events.GetRange(from, Math.Min(drafts.Count, _events.Count - from));
                        if (HoldsDrafts(stored, drafts, expected))
                        {
                            return [.. stored];
                        }
                    }

                    if (expected != _events.Count + 1)
                    {
                        throw new AppendConflictException(_projection.Id, expected, _events.Count);
                    }
                }

                if (_projection.Status.State.IsTerminal())
                {
                    throw new TaskAlreadyTerminalException(_projection.Id, _projection.Status.State);
                }

                if (options.LeaseOwner is { } owner && !string.Equals(owner, _leaseOwner, StringComparison.Ordinal))
                {
                    throw new LeaseLostException(_projection.Id, owner);
                }

                appended = new TaskEvent[drafts.Count];
                for (var i = 0; i < appended.Length; i++)
                {
                    appended[i] = AppendLocked(drafts[i]);
                }

                if (options.ReleaseLease)
                {
                    ClearLeaseLocked();
                }

                toRelease = SwapSignalLocked();
            }

            toRelease.TrySetResult();
            return appended;
        }

        public ContinueResult Continue(TaskEvent message, RunnerLease? lease, byte[]? run, long? expectedGeneration, DateTimeOffset now)
        {
            TaskCompletionSource toRelease;
            TaskEvent appended;
            TaskState state;
            lock (Gate)
            {
                state = _projection.Status.State;
                var generation = _projection.Generation;
                if (_deleted)
                {
                    return new ContinueResult(ContinueOutcome.NotFound, TaskState.Unspecified, null);
                }

                if (state.IsTerminal())
                {
                    return new ContinueResult(ContinueOutcome.Terminal, state, null, generation);
                }

                if (expectedGeneration is { } expected && expected != generation)
                {
                    return new ContinueResult(ContinueOutcome.GenerationMismatch, state, null, generation);
                }

                if ((_leaseOwner is not null && _leaseExpires > now) || _run is not null)
                {
                    return new ContinueResult(ContinueOutcome.Leased, state, null, generation);
                }

                if (lease is { } taken)
                {
                    SetLeaseLocked(taken.Owner, now + taken.Duration);
                }
                else
                {
                    // A lease that expired after its turn paused is no one's: the run to do is claimed afresh.
                    ClearLeaseLocked();
                    RecordRunLocked(run!);
                }

                appended = AppendLocked(message);
                _traceContext = message.TraceContext ?? _traceContext;
                toRelease = SwapSignalLocked();
            }

            toRelease.TrySetResult();
            return new ContinueResult(ContinueOutcome.Continued, state, appended, appended.Generation);
        }

        public bool Renew(string owner, DateTimeOffset expiresAt)
        {
            lock (Gate)
            {
                if (_deleted || !string.Equals(owner, _leaseOwner, StringComparison.Ordinal))
                {
                    return false;
                }

                _leaseExpires = expiresAt;
                return true;
            }
        }

        public bool LeaseExpiredAt(DateTimeOffset now)
        {
            lock (Gate)
            {
                return !_deleted && _run is null && _leaseOwner is not null && _leaseExpires <= now && !_projection.Status.State.IsTerminal();
            }
        }

        public void RecordRunLocked(byte[] run)
        {
            _run = run;
            _store._pending[this] = Interlocked.Increment(ref _store._pendingOrder);
        }

        public byte[]? TryClaim(RunnerLease lease, DateTimeOffset now)
        {
            lock (Gate)
            {
                if (_deleted || _run is null || _projection.Status.State.IsTerminal() || (_leaseOwner is not null && _leaseExpires > now))
                {
                    return null;
                }

                SetLeaseLocked(lease.Owner, now + lease.Duration);
                return _run;
            }
        }

        public bool Start(string owner, DateTimeOffset now)
        {
            lock (Gate)
            {
                if (_deleted || _run is null || !string.Equals(owner, _leaseOwner, StringComparison.Ordinal) || _leaseExpires <= now)
                {
                    return false;
                }

                ClearRunLocked();
                return true;
            }
        }

        private void ClearRunLocked()
        {
            if (_run is not null)
            {
                _run = null;
                _store._pending.TryRemove(this, out _);
            }
        }

        public TaskEvent? AppendIfLeaseExpired(TaskEvent draft, DateTimeOffset now)
        {
            TaskCompletionSource toRelease;
            TaskEvent appended;
            lock (Gate)
            {
                if (_deleted || _run is not null || _leaseOwner is null || _leaseExpires > now || _projection.Status.State.IsTerminal())
                {
                    return null;
                }

                appended = AppendLocked(draft);
                ClearLeaseLocked();
                toRelease = SwapSignalLocked();
            }

            toRelease.TrySetResult();
            return appended;
        }

        public void MarkDeleted()
        {
            TaskCompletionSource toRelease;
            lock (Gate)
            {
                _deleted = true;
                ClearLeaseLocked();
                ClearRunLocked();
                toRelease = SwapSignalLocked();
            }

            toRelease.TrySetResult(); // anyone still waiting wakes up and finds the task gone
        }

        public void SavePushConfig(TaskPushNotificationConfig config, long? afterSequence)
        {
            lock (Gate)
            {
                if (_deleted)
                {
                    throw A2AException.TaskNotFound(TaskId);
                }

                var index = _pushConfigs.FindIndex(c => c.Config.Id == config.Id);
                if (index >= 0)
                {
                    // Saved again: new webhook settings, the same cursor, and a failing config gets another chance.
                    var state = _pushConfigs[index];
                    state.Config = config;
                    state.Attempts = 0;
                    state.NextAttempt = default;
                    state.Failing = false;
                }
                else
                {
                    _pushConfigs.Add(new PushState(config, afterSequence ?? _events.Count, _store._pushOrder++));
                }
            }
        }

        public TaskPushNotificationConfig? GetPushConfig(string configId)
        {
            lock (Gate)
            {
                return _deleted ? null : _pushConfigs.Find(c => c.Config.Id == configId)?.Config;
            }
        }

        public IReadOnlyList<TaskPushNotificationConfig> ListPushConfigs()
        {
            lock (Gate)
            {
                return _deleted ? [] : [.. _pushConfigs.Select(c => c.Config)];
            }
        }

        public bool DeletePushConfig(string configId)
        {
            lock (Gate)
            {
                return !_deleted && _pushConfigs.RemoveAll(c => c.Config.Id == configId) > 0;
            }
        }

        /// <summary>Claims this task's configurations that have events to deliver (see <see cref="TaskStore.ClaimPushDeliveriesAsync"/>).</summary>
        public void ClaimPushDeliveries(string owner, DateTimeOffset now, TimeSpan lease, List<(long Order, PushDeliveryClaim Claim)> into)
        {
            lock (Gate)
            {
                if (_deleted)
                {
                    return;
                }

                foreach (var state in _pushConfigs)
                {
                    if (state.Cursor < _events.Count && !state.Failing && state.NextAttempt <= now && (state.LeaseOwner is null || state.LeaseExpires <= now))
                    {
                        state.LeaseOwner = owner;
                        state.LeaseExpires = now + lease;
                        into.Add((state.Order, new PushDeliveryClaim(TaskId, state.Config, state.Cursor, state.Attempts)));
                    }
                }
            }
        }

        public bool AdvancePushCursor(string configId, string owner, long cursor, DateTimeOffset now, TimeSpan lease)
        {
            lock (Gate)
            {
                if (Held(configId, owner, now) is not { } state)
                {
                    return false;
                }

                state.Cursor = Math.Max(state.Cursor, cursor);
                state.Attempts = 0;
                state.LeaseExpires = now + lease;
                return true;
            }
        }

        public bool ReleasePushDelivery(string configId, string owner, PushDeliveryOutcome outcome, DateTimeOffset now)
        {
            lock (Gate)
            {
                if (Held(configId, owner, now) is not { } state)
                {
                    return false;
                }

                state.LeaseOwner = null;
                state.Attempts = outcome.Attempts;
                state.NextAttempt = now + outcome.RetryAfter;
                state.LastError = outcome.Error;
                state.Failing = outcome.Failing;
                return true;
            }
        }

        /// <summary>Gives back a claim made in excess of the claimer's count, leaving its state as it was.</summary>
        public void Unclaim(string configId, string owner)
        {
            lock (Gate)
            {
                if (_pushConfigs.Find(c => c.Config.Id == configId && c.LeaseOwner == owner) is { } state)
                {
                    state.LeaseOwner = null;
                }
            }
        }

        private PushState? Held(string configId, string owner, DateTimeOffset now) =>
            _deleted ? null : _pushConfigs.Find(c => c.Config.Id == configId && c.LeaseOwner == owner && c.LeaseExpires > now);

        public List<TaskEvent> Read(long afterSequence, int maxCount)
        {
            lock (Gate)
            {
                ThrowIfDeleted();

                // Positions past the end (a client's Last-Event-ID may be anything) read nothing; no int overflow.
                if (afterSequence >= _events.Count)
                {
                    return [];
                }

                var start = (int)Math.Max(0, afterSequence);
                var count = Math.Min(maxCount, _events.Count - start);
                return count <= 0 ? [] : _events.GetRange(start, count);
            }
        }

        public Task WaitAfter(long afterSequence)
        {
            lock (Gate)
            {
                return _deleted || _events.Count > afterSequence ? Task.CompletedTask : _signal.Task;
            }
        }

        public TaskSnapshot Snapshot(int? historyLength, bool includeArtifacts)
        {
            lock (Gate)
            {
                return new TaskSnapshot(_projection.ToTask(historyLength, includeArtifacts), _projection.Sequence) { TraceContext = _traceContext, Owner = Owner };
            }
        }

        private TaskEvent AppendLocked(TaskEvent draft)
        {
            var appended = draft.Sequenced(_events.Count + 1, _projection.Generation);
            var before = _projection.Status;
            _projection.Apply(appended);
            _events.Add(appended);
            if (!ReferenceEquals(before, _projection.Status))
            {
                var entry = new TaskListEntry(_projection.Id, _projection.ContextId, _projection.Status.State, _projection.StatusTimestamp.UtcTicks, Owner);
                _store._index.Update(Entry, entry);
                Entry = entry;
                if (entry.State.IsTerminal())
                {
                    ClearLeaseLocked();
                    ClearRunLocked();
                }
            }

            return appended;
        }

        private void SetLeaseLocked(string owner, DateTimeOffset expiresAt)
        {
            _leaseOwner = owner;
            _leaseExpires = expiresAt;
            _store._leased[_projection.Id] = this;
        }

        private void ClearLeaseLocked()
        {
            if (_leaseOwner is not null)
            {
                _leaseOwner = null;
                _store._leased.TryRemove(_projection.Id, out _);
            }
        }

        private TaskCompletionSource SwapSignalLocked()
        {
            var current = _signal;
            _signal = NewSignal();
            return current;
        }

        private void ThrowIfDeleted()
        {
            if (_deleted)
            {
                throw A2AException.TaskNotFound(_projection.Id);
            }
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
