using System.Diagnostics;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Engine;

/// <summary>
/// Carries one run's reports to the store in order, batching those that arrive while a write is in
/// flight: the first report is written at once, reports made meanwhile go together in the next write
/// (one durable write, one commit, however many chunks). An agent does not wait for durability of
/// ordinary reports unless too much is pending (bounded in events and in bytes); a report that ends or
/// pauses the task, and <see cref="FlushAsync"/>, wait until everything reported is in the store.
/// </summary>
/// <remarks>
/// Faults: every write names the sequence it expects (<see cref="AppendOptions.ExpectedSequence"/>), so a write
/// whose outcome is unknown is simply retried: the store finds its events or refuses. A transient failure is
/// retried with back-off for <see cref="HeraldOptions.StoreRetryHorizon"/>; meanwhile the agent's reports wait once
/// the bound is reached, and nothing else (readers, other tasks) waits for this writer. Past the horizon the run is
/// abandoned: its pending reports (never acknowledged to anyone) are dropped, later reports fail, and
/// <see cref="Abandoned"/> completes so the runner can stop the agent and end the task with a reason. A refusal
/// (the task ended, the lease was lost) fails every later report with that error.
/// </remarks>
internal sealed class ReportWriter
{
    private const int MaxPendingEvents = 4096;

    /// <summary>Reports queued behind the write in flight, in bytes of their v1.0 JSON: an agent that reports faster waits.</summary>
    private const long MaxPendingBytes = 4L * 1024 * 1024;

    /// <summary>
    /// The most one durable write takes from the queue (at least one event): a store holds a few copies of a batch while it
    /// writes it, so this, with <see cref="MaxPendingBytes"/>, bounds what a run costs in memory whatever its agent reports.
    /// </summary>
    private const long MaxBatchBytes = 1L * 1024 * 1024;
    private const int MaxConflictsInARow = 64;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly TaskStore _store;
    private readonly string _taskId;
    private readonly string _leaseOwner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _horizon;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<Exception> _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<TaskEvent> _pending = [];
    private long _pendingBytes;
    private bool _releasePending;
    private Task? _writing;
    private TaskCompletionSource _room = NewSignal();
    private Exception? _failure;
    private bool _closed;
    private bool _endedByShutdown;
    private long _position;

    public ReportWriter(TaskStore store, string taskId, string leaseOwner, long position, TimeProvider time, TimeSpan horizon, ILogger logger)
    {
        _store = store;
        _taskId = taskId;
        _leaseOwner = leaseOwner;
        _position = position;
        _time = time;
        _horizon = horizon;
        _logger = logger;
    }

    /// <summary>True once a terminal or pausing report was accepted: this turn can report nothing more.</summary>
    public bool Closed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>True once this run reported a terminal state itself.</summary>
    public bool ReportedTerminal { get; private set; }

    /// <summary>True once the write that ended or paused this turn is in the store (until then, the run still holds its lease).</summary>
    public bool EndWritten { get; private set; }

    /// <summary>The state this turn was ended or paused with (set when that report is queued); null while the turn is open.</summary>
    public TaskState? EndState { get; private set; }

    /// <summary>True once this run paused the task for the client (input- or auth-required).</summary>
    public bool Paused { get; private set; }

    /// <summary>The last sequence this writer knows to be in the log (where its next write must start after).</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    /// <summary>Completes, with the last store error, when the store stayed unavailable past the retry horizon.</summary>
    public Task<Exception> Abandoned => _abandoned.Task;

    /// <summary>True once the run was abandoned (see <see cref="Abandoned"/>).</summary>
    public bool IsAbandoned => _abandoned.Task.IsCompleted;

    /// <summary>Moves the writer's start to <paramref name="position"/>: the task was created after the writer was made.</summary>
    public void StartAt(long position)
    {
        lock (_gate)
        {
            _position = Math.Max(_position, position);
        }
    }

    /// <summary>Queues a report; waits only when too much is pending, or when the report ends or pauses the task.</summary>
    public ValueTask ReportAsync(TaskEvent draft, CancellationToken cancellationToken)
    {
        Task? room = null;
        var endsTurn = draft.EndsStream;
        lock (_gate)
        {
            ThrowIfUnusable();
            _pending.Add(draft);
            _pendingBytes += draft.GetV1Json().Length;
            if (endsTurn)
            {
                _closed = true;
                EndState = draft.State;
                if (draft.IsTerminal)
                {
                    ReportedTerminal = true;
                }
                else
                {
                    // Pausing for the client ends this turn: the lease goes in the same write, so a follow-up
                    // message can be accepted (by any replica) as soon as the pause is visible.
                    Paused = true;
                    _releasePending = true;
                }
            }

            room = StartWritingLocked();
        }

        return AfterQueued(endsTurn, room, cancellationToken);
    }

    /// <summary>Queues several reports as one write.</summary>
    public ValueTask ReportAsync(IReadOnlyList<TaskEvent> drafts, CancellationToken cancellationToken)
    {
        var endsTurn = false;
        Task? room = null;
        lock (_gate)
        {
            ThrowIfUnusable();
            for (var i = 0; i < drafts.Count; i++)
            {
                var draft = drafts[i];
                if (draft.EndsStream)
                {
                    if (i != drafts.Count - 1)
                    {
                        throw new ArgumentException("A report that ends or pauses the task must come last in its batch.", nameof(drafts));
                    }

                    endsTurn = true;
                    _closed = true;
                    EndState = draft.State;
                    ReportedTerminal = draft.IsTerminal;
                    Paused = !draft.IsTerminal;
                    _releasePending |= !draft.IsTerminal;
                }

                _pendingBytes += draft.GetV1Json().Length;
            }

            _pending.AddRange(drafts);
            room = StartWritingLocked();
        }

        return AfterQueued(endsTurn, room, cancellationToken);
    }

    /// <summary>
    /// Ends this turn because the server is shutting down: from now on the agent's reports are refused (as canceled), and
    /// <paramref name="canceled"/> is queued after what it reported before, then written with this writer's retries. False
    /// when the agent had already ended or paused the turn (that write goes on) or the writer had failed.
    /// </summary>
    public async ValueTask<bool> EndForShutdownAsync(TaskEvent canceled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canceled);
        lock (_gate)
        {
            if (_failure is not null || _closed)
            {
                return false;
            }

            _closed = true;
            _endedByShutdown = true;
            EndState = TaskState.Canceled;
            ReportedTerminal = true;
            _pending.Add(canceled);
            _pendingBytes += canceled.GetV1Json().Length;
            StartWritingLocked();
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Waits until everything reported so far is in the store; throws what the store refused, or why the run was abandoned.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task? writing;
            lock (_gate)
            {
                if (_failure is not null)
                {
                    throw _failure;
                }

                writing = _writing;
            }

            if (writing is null)
            {
                return;
            }

            await writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the write loop when none runs; otherwise returns what to wait for when too much is pending (null: nothing).</summary>
    private Task? StartWritingLocked()
    {
        if (_writing is null)
        {
            _writing = WriteLoopAsync();
            return null;
        }

        return _pending.Count >= MaxPendingEvents || _pendingBytes >= MaxPendingBytes ? _room.Task : null;
    }

    /// <summary>A report that ends the turn waits for everything to be written; others wait only for room.</summary>
    private ValueTask AfterQueued(bool endsTurn, Task? room, CancellationToken cancellationToken)
    {
        if (endsTurn)
        {
            return FlushAsync(cancellationToken);
        }

        return room is null ? ValueTask.CompletedTask : new ValueTask(WaitForRoomAsync(room, cancellationToken));
    }

    private async Task WaitForRoomAsync(Task room, CancellationToken cancellationToken)
    {
        await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw _failure;
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        // Yield first so the caller's report returns at once and later reports can join this write.
        await Task.Yield();
        while (true)
        {
            List<TaskEvent> batch;
            bool release;
            TaskCompletionSource room;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _writing = null;
                    return;
                }

                var (take, takenBytes) = BatchSize(_pending);
                if (take == _pending.Count)
                {
                    batch = _pending;
                    _pending = [];
                    _pendingBytes = 0;
                    release = _releasePending;
                    _releasePending = false;
                }
                else
                {
                    // The rest waits for the next write; a lease release goes with the write that holds the pause.
                    batch = _pending.GetRange(0, take);
                    _pending.RemoveRange(0, take);
                    _pendingBytes -= takenBytes;
                    release = false;
                }

                room = _room;
                _room = NewSignal();
            }

            room.TrySetResult(); // the batch is taken: reporters waiting for room may go on
            var failure = await WriteAsync(batch, release).ConfigureAwait(false);
            if (failure is not null)
            {
                lock (_gate)
                {
                    _failure = failure;
                    _pending.Clear();
                    _pendingBytes = 0;
                    _writing = null;
                    room = _room;
                }

                room.TrySetResult();
                return;
            }
        }
    }

    /// <summary>How many of the pending events the next write takes: up to <see cref="MaxBatchBytes"/>, and at least one.</summary>
    private static (int Count, long Bytes) BatchSize(List<TaskEvent> pending)
    {
        long bytes = 0;
        for (var i = 0; i < pending.Count; i++)
        {
            var size = pending[i].GetV1Json().Length;
            if (i > 0 && bytes + size > MaxBatchBytes)
            {
                return (i, bytes);
            }

            bytes += size;
        }

        return (pending.Count, bytes);
    }

    /// <summary>Writes one batch, retrying what may pass; returns null when it is in the log, or the error that ends this writer.</summary>
    private async Task<Exception?> WriteAsync(List<TaskEvent> batch, bool release)
    {
        var failure = await AppendRetryingAsync(batch, release, _horizon, new RetryBackoff(FirstRetryDelay, MaxRetryDelay, jitter: true), CancellationToken.None)
            .ConfigureAwait(false);
        if (failure is TaskStoreUnavailableException outage)
        {
            var abandoned = new TaskStoreUnavailableException(
                $"{outage.Message} (HeraldOptions.StoreRetryHorizon): this run of task '{_taskId}' is abandoned.", outage.InnerException ?? outage);
            Log.RunAbandoned(_logger, _taskId, outage.InnerException ?? outage);
            _abandoned.TrySetResult(abandoned);
            return abandoned;
        }

        return failure;
    }

    /// <summary>
    /// After the run was abandoned: writes <paramref name="end"/> (the status that ends the task) after the last event this
    /// writer knows of, retrying a store that is still unavailable for up to <paramref name="within"/>. True when it is in
    /// the log; false when the store stayed unavailable, <paramref name="stop"/> fired, or the store refused (someone else
    /// ended the task, or it is gone).
    /// </summary>
    public async Task<bool> WriteEndAfterAbandonmentAsync(TaskEvent end, TimeSpan within, RetryBackoff backoff, CancellationToken stop) =>
        await AppendRetryingAsync([end], release: false, within, backoff, stop).ConfigureAwait(false) is null;

    /// <summary>
    /// The one retry loop of this writer: appends <paramref name="batch"/> at the position it expects, moves after other
    /// writers' events on a conflict, and retries transient failures on <paramref name="backoff"/> until they have lasted
    /// <paramref name="horizon"/>. Returns null when the batch is in the log; a <see cref="TaskStoreUnavailableException"/>
    /// when the store stayed unavailable past the horizon; the store's refusal; or the cancellation of <paramref name="stop"/>.
    /// </summary>
    private async Task<Exception?> AppendRetryingAsync(List<TaskEvent> batch, bool release, TimeSpan horizon, RetryBackoff backoff, CancellationToken stop)
    {
        long? failingSince = null;
        var conflicts = 0;
        while (true)
        {
            long expected;
            lock (_gate)
            {
                expected = _position + 1;
            }

            using var activity = Telemetry.Source.StartActivity("herald.store.append");
            activity?.SetTag("a2a.task.id", _taskId);
            if (activity is not null)
            {
                activity.SetTag("herald.store", Telemetry.StoreName(_store));
                activity.SetTag("herald.store.events", batch.Count);
                var bytes = 0L;
                foreach (var draft in batch)
                {
                    bytes += draft.GetV1Json().Length; // encoded already: the bounds counted them
                }

                activity.SetTag("herald.store.bytes", bytes);
            }

            // Timed only when someone reads the histogram: two clock reads per write are most of what telemetry costs when off.
            var started = Telemetry.AppendDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
            try
            {
                var options = new AppendOptions { LeaseOwner = _leaseOwner, ReleaseLease = release, ExpectedSequence = expected };
                var appended = await _store.AppendAsync(_taskId, batch, options, CancellationToken.None).ConfigureAwait(false);
                if (started != 0)
                {
                    Telemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }

                Telemetry.EventsAppended.Add(appended.Count);
                lock (_gate)
                {
                    _position = appended[^1].Sequence;
                }

                if (appended[^1].EndsStream)
                {
                    EndWritten = true;
                }

                if (failingSince is not null)
                {
                    Log.StoreWriteRecovered(_logger, _taskId);
                }

                return null;
            }
            catch (Exception ex) when (Failed(activity, ex))
            {
                throw; // never: Failed records the error and returns false
            }
            catch (AppendConflictException conflict) when (++conflicts <= MaxConflictsInARow)
            {
                // Someone else appended meanwhile (IHeraldTasks, CancelTask): this batch was not written; it goes after theirs.
                lock (_gate)
                {
                    _position = conflict.LastSequence;
                }
            }
            catch (Exception ex) when (TaskStore.IsTransient(ex))
            {
                if (failingSince is null)
                {
                    failingSince = _time.GetTimestamp();
                    Log.StoreWriteFailing(_logger, _taskId, ex);
                }

                var elapsed = _time.GetElapsedTime(failingSince.Value);
                if (elapsed >= horizon)
                {
                    return new TaskStoreUnavailableException(
                        $"The task store stayed unavailable for {elapsed.TotalSeconds:0.#} s, the {horizon.TotalSeconds:0.#} s a write of task '{_taskId}' may wait", ex);
                }

                // Back-off, never past the horizon.
                var wait = backoff.Next();
                wait = wait < horizon - elapsed ? wait : horizon - elapsed;
                try
                {
                    await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException canceled)
                {
                    return canceled;
                }
            }
            catch (Exception ex)
            {
                // A refusal (the task ended, the lease was lost, the task is gone) or a bug: no retry can change it.
                return ex;
            }
        }
    }

    /// <summary>Records a failed store write on its span and in <c>herald.store.errors</c>; false, so the caller's handlers run.</summary>
    private static bool Failed(Activity? activity, Exception ex)
    {
        var type = TaskStore.IsTransient(ex) ? "transient" : ex.GetType().Name;
        Telemetry.StoreErrors.Add(1, new KeyValuePair<string, object?>("error.type", type));
        activity?.SetStatus(ActivityStatusCode.Error, type);
        activity?.SetTag("error.type", type);
        return false;
    }

    private void ThrowIfUnusable()
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_endedByShutdown)
        {
            // The run's token is canceled too: the agent stops as it would on CancelTask, and nothing it reports lands.
            throw new OperationCanceledException($"The server is shutting down: task '{_taskId}' was canceled and accepts no further reports.");
        }

        if (_closed)
        {
            throw new InvalidOperationException(Paused
                ? $"This turn of task '{_taskId}' ended when it asked the client for input; report the rest in the next turn."
                : $"Task '{_taskId}' was already ended by this agent; it accepts no further reports.");
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
