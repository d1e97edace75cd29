using System.Collections.Concurrent;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Testing;

/// <summary>The store operations a <see cref="FaultyTaskStore"/> can fail.</summary>
internal enum StoreOp
{
    Create,
    Append,
    Continue,
    Renew,
    FindExpired,
    AppendIfExpired,
    DeleteEnded,
    Get,
    Read,
    Wait,
    List,
    Claim,
    PushConfig,
}

/// <summary>
/// A store (in memory unless given another) that fails the way a networked database does, on the test's
/// command: chosen operations fail transiently once or a few times, before the write or after it committed
/// (the caller cannot tell which), or every operation fails for a while (an outage), or wake-ups stop coming
/// (a dead notification channel). It keeps every event it acknowledged, so a test can check afterwards that
/// none was lost or doubled.
/// </summary>
internal sealed class FaultyTaskStore(TaskStore? inner = null) : TaskStore
{
    private readonly TaskStore _inner = inner ?? CreateInMemory();
    private readonly Lock _gate = new();
    private readonly Dictionary<StoreOp, Queue<bool>> _planned = [];
    private readonly Dictionary<string, SortedDictionary<long, string>> _acknowledged = new(StringComparer.Ordinal);
    private readonly List<(int Count, TaskCompletionSource Done)> _faultWaiters = [];
    private TaskCompletionSource _wakeupsBack = Completed();
    private volatile bool _down;
    private int _faults;

    /// <summary>The store calls pass to.</summary>
    public TaskStore Inner => _inner;

    /// <summary>How many faults were injected so far.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>True while every operation fails.</summary>
    public bool IsDown => _down;

    /// <summary>Every operation fails transiently from now on, until <see cref="ComeBack"/>.</summary>
    public void GoDown() => _down = true;

    /// <summary>Ends an outage.</summary>
    public void ComeBack() => _down = false;

    /// <summary>
    /// Wake-ups stop (<see cref="WaitForEventsAsync"/> completes only when canceled), as when a database's notification
    /// connection drops unnoticed, until <see cref="RestoreWakeups"/>.
    /// </summary>
    public void DropWakeups()
    {
        lock (_gate)
        {
            if (_wakeupsBack.Task.IsCompleted)
            {
                _wakeupsBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Wake-ups come again (the ones lost meanwhile stay lost).</summary>
    public void RestoreWakeups()
    {
        lock (_gate)
        {
            _wakeupsBack.TrySetResult();
        }
    }

    /// <summary>
    /// The next <paramref name="times"/> calls of <paramref name="op"/> fail transiently; with <paramref name="afterCommit"/>,
    /// a write is carried out first and the caller is told it failed (an ambiguous commit).
    /// </summary>
    public void FailNext(StoreOp op, int times = 1, bool afterCommit = false)
    {
        lock (_gate)
        {
            if (!_planned.TryGetValue(op, out var queue))
            {
                _planned[op] = queue = new Queue<bool>();
            }

            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(afterCommit);
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> faults have been injected.</summary>
    public Task WaitForFaultsAsync(int count)
    {
        lock (_gate)
        {
            if (_faults >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _faultWaiters.Add((count, done));
            return done.Task;
        }
    }

    /// <summary>The v1.0 bytes of every event this store acknowledged for <paramref name="taskId"/> (created event included), by sequence.</summary>
    public IReadOnlyDictionary<long, string> Acknowledged(string taskId)
    {
        lock (_gate)
        {
            return _acknowledged.TryGetValue(taskId, out var events) ? new SortedDictionary<long, string>(events) : new SortedDictionary<long, string>();
        }
    }

    public override async ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Create);
        var created = await _inner.CreateAsync(task, lease, traceContext, owner, cancellationToken);
        After(afterCommit, StoreOp.Create);
        Acknowledge(task.Id, [created]);
        return created;
    }

    public override async ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Create);
        var created = await _inner.CreatePendingAsync(task, run, traceContext, owner, cancellationToken);
        After(afterCommit, StoreOp.Create);
        Acknowledge(task.Id, [created]);
        return created;
    }

    public override async ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Continue);
        var result = await _inner.ContinuePendingAsync(taskId, message, run, expectedGeneration, cancellationToken);
        After(afterCommit, StoreOp.Continue);
        if (result.Message is { } appended)
        {
            Acknowledge(taskId, [appended]);
        }

        return result;
    }

    public override async ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Claim);
        var claimed = await _inner.ClaimRunAsync(lease, cancellationToken);
        After(afterCommit, StoreOp.Claim);
        return claimed;
    }

    public override ValueTask WaitForPendingRunsAsync(CancellationToken cancellationToken = default) =>
        _inner.WaitForPendingRunsAsync(cancellationToken);

    public override async ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Claim);
        var started = await _inner.StartRunAsync(taskId, owner, cancellationToken);
        After(afterCommit, StoreOp.Claim);
        return started;
    }

    public override async ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Append);
        var appended = await _inner.AppendAsync(taskId, drafts, options, cancellationToken);
        After(afterCommit, StoreOp.Append);
        Acknowledge(taskId, appended);
        return appended;
    }

    public override async ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Continue);
        var result = await _inner.ContinueAsync(taskId, message, lease, expectedGeneration, cancellationToken);
        After(afterCommit, StoreOp.Continue);
        if (result.Message is { } appended)
        {
            Acknowledge(taskId, [appended]);
        }

        return result;
    }

    public override async ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.Renew);
        var renewed = await _inner.RenewLeaseAsync(taskId, owner, duration, cancellationToken);
        After(afterCommit, StoreOp.Renew);
        return renewed;
    }

    /// <summary>The size of each <see cref="RenewLeasesAsync"/> call, in order (each lease is then renewed through <see cref="RenewLeaseAsync"/>).</summary>
    public ConcurrentQueue<int> RenewalBatches { get; } = new();

    public override ValueTask<IReadOnlyList<string>> RenewLeasesAsync(IReadOnlyList<LeaseRenewal> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        RenewalBatches.Enqueue(leases.Count);
        return base.RenewLeasesAsync(leases, duration, cancellationToken);
    }

    public override async ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.FindExpired);
        return await _inner.FindExpiredLeasesAsync(maxCount, cancellationToken);
    }

    public override async ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.AppendIfExpired);
        var appended = await _inner.AppendIfLeaseExpiredAsync(taskId, draft, cancellationToken);
        After(afterCommit, StoreOp.AppendIfExpired);
        if (appended is not null)
        {
            Acknowledge(taskId, [appended]);
        }

        return appended;
    }

    public override async ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.DeleteEnded);
        var deleted = await _inner.DeleteEndedAsync(endedBefore, maxCount, cancellationToken);
        After(afterCommit, StoreOp.DeleteEnded);
        return deleted;
    }

    public override async ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.Get);
        return await _inner.GetAsync(taskId, historyLength, includeArtifacts, cancellationToken);
    }

    public override async ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.Read);
        return await _inner.ReadAsync(taskId, afterSequence, maxCount, cancellationToken);
    }

    public override async ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.Wait);
        Task wakeupsBack;
        lock (_gate)
        {
            wakeupsBack = _wakeupsBack.Task;
        }

        if (!wakeupsBack.IsCompleted)
        {
            // A dead notification channel: no wake-up arrives, whatever is appended.
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        await _inner.WaitForEventsAsync(taskId, afterSequence, cancellationToken);
    }

    public override async ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.PushConfig);
        await _inner.SavePushConfigAsync(taskId, config, afterSequence, cancellationToken);
        After(afterCommit, StoreOp.PushConfig);
    }

    public override async ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.PushConfig);
        return await _inner.GetPushConfigAsync(taskId, configId, cancellationToken);
    }

    public override async ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.PushConfig);
        return await _inner.ListPushConfigsAsync(taskId, cancellationToken);
    }

    public override async ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.PushConfig);
        var deleted = await _inner.DeletePushConfigAsync(taskId, configId, cancellationToken);
        After(afterCommit, StoreOp.PushConfig);
        return deleted;
    }

    public override async ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.PushConfig);
        var claimed = await _inner.ClaimPushDeliveriesAsync(owner, lease, maxCount, cancellationToken);
        After(afterCommit, StoreOp.PushConfig);
        return claimed;
    }

    public override async ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.PushConfig);
        var advanced = await _inner.AdvancePushCursorAsync(taskId, configId, owner, cursor, lease, cancellationToken);
        After(afterCommit, StoreOp.PushConfig);
        return advanced;
    }

    public override async ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default)
    {
        var afterCommit = Before(StoreOp.PushConfig);
        var released = await _inner.ReleasePushDeliveryAsync(taskId, configId, owner, outcome, cancellationToken);
        After(afterCommit, StoreOp.PushConfig);
        return released;
    }

    public override async ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        Before(StoreOp.List);
        return await _inner.ListAsync(query, cancellationToken);
    }

    /// <summary>Throws a planned fault that strikes before the operation; returns true when one strikes after its commit.</summary>
    private bool Before(StoreOp op)
    {
        if (_down)
        {
            throw Fault(op, mayHaveCommitted: false);
        }

        lock (_gate)
        {
            if (!_planned.TryGetValue(op, out var queue) || !queue.TryDequeue(out var afterCommit))
            {
                return false;
            }

            if (!afterCommit)
            {
                throw Fault(op, mayHaveCommitted: false);
            }

            return true;
        }
    }

    private void After(bool afterCommit, StoreOp op)
    {
        if (afterCommit)
        {
            throw Fault(op, mayHaveCommitted: true);
        }
    }

    private TaskStoreUnavailableException Fault(StoreOp op, bool mayHaveCommitted)
    {
        List<TaskCompletionSource> release = [];
        lock (_gate)
        {
            _faults++;
            _faultWaiters.RemoveAll(w =>
            {
                if (w.Count > _faults)
                {
                    return false;
                }

                release.Add(w.Done);
                return true;
            });
        }

        release.ForEach(done => done.TrySetResult());
        return new TaskStoreUnavailableException($"Injected fault: {op} failed (the store is unreachable).") { MayHaveCommitted = mayHaveCommitted };
    }

    private void Acknowledge(string taskId, IReadOnlyList<TaskEvent> events)
    {
        lock (_gate)
        {
            if (!_acknowledged.TryGetValue(taskId, out var log))
            {
                _acknowledged[taskId] = log = [];
            }

            foreach (var e in events)
            {
                var bytes = Convert.ToHexString(e.GetV1Json().Span);
                if (log.TryGetValue(e.Sequence, out var existing) && existing != bytes)
                {
                    throw new InvalidOperationException($"The store acknowledged two different events at sequence {e.Sequence} of task '{taskId}'.");
                }

                log[e.Sequence] = bytes;
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.TrySetResult();
        return done;
    }
}
