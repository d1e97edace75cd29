using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Testing;

/// <summary>
/// A store (in memory unless given another) with hooks and counters: tests see when the server reads a
/// task, count the store calls an operation costs, and make reads fail the way a broken database would.
/// </summary>
internal sealed class InterceptingTaskStore(TaskStore? inner = null, TimeProvider? clock = null) : TaskStore
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly TaskStore _inner = inner ?? CreateInMemory();
    private int _reads;
    private int _appends;

    private readonly List<(DateTimeOffset ExpiresAt, TaskCompletionSource Done)> _renewalWaiters = [];
    private DateTimeOffset _latestRenewal = DateTimeOffset.MinValue;

    /// <summary>
    /// Completes once a lease renewal that extended a lease to at least <paramref name="expiresAt"/> has succeeded (the
    /// expiry counted on the clock this store was given, which must be the inner store's).
    /// </summary>
    public Task WaitForRenewalAsync(DateTimeOffset expiresAt)
    {
        lock (_renewalWaiters)
        {
            if (_latestRenewal >= expiresAt)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _renewalWaiters.Add((expiresAt, done));
            return done.Task;
        }
    }

    /// <summary>How many times <see cref="ReadAsync"/> was called.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>How many times the batch <see cref="AppendAsync(string, IReadOnlyList{TaskEvent}, AppendOptions, CancellationToken)"/> was called (one durable write each).</summary>
    public int Appends => Volatile.Read(ref _appends);

    /// <summary>Runs before every <see cref="GetAsync"/>, with the task id.</summary>
    public Action<string>? OnGet { get; set; }

    /// <summary>When set, <see cref="ListAsync"/> throws it.</summary>
    public Func<Exception>? FailList { get; set; }

    /// <summary>When set, <see cref="ReadAsync"/> throws it.</summary>
    public Func<Exception>? FailRead { get; set; }

    /// <summary>When set, awaited before every <see cref="ReadAsync"/> (a slow disk).</summary>
    public Func<Task>? BeforeRead { get; set; }

    /// <summary>When set, awaited before every <see cref="CreateAsync"/> with the task to create (another writer getting there first).</summary>
    public Func<AgentTask, Task>? BeforeCreate { get; set; }

    /// <summary>The store this one passes calls to.</summary>
    public TaskStore Inner => _inner;

    public override async ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        if (BeforeCreate is { } before)
        {
            await before(task);
        }

        return await _inner.CreateAsync(task, lease, traceContext, owner, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _appends);
        return _inner.AppendAsync(taskId, drafts, options, cancellationToken);
    }

    public override ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default) =>
        _inner.ContinueAsync(taskId, message, lease, expectedGeneration, cancellationToken);

    public override ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default) =>
        _inner.CreatePendingAsync(task, run, traceContext, owner, cancellationToken);

    public override ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default) =>
        _inner.ContinuePendingAsync(taskId, message, run, expectedGeneration, cancellationToken);

    public override ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default) =>
        _inner.ClaimRunAsync(lease, cancellationToken);

    public override ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default) =>
        _inner.StartRunAsync(taskId, owner, cancellationToken);

    public override ValueTask WaitForPendingRunsAsync(CancellationToken cancellationToken = default) =>
        _inner.WaitForPendingRunsAsync(cancellationToken);

    public override async ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var expiresAt = _clock.GetUtcNow() + duration;
        var renewed = await _inner.RenewLeaseAsync(taskId, owner, duration, cancellationToken);
        if (renewed)
        {
            List<TaskCompletionSource> release = [];
            lock (_renewalWaiters)
            {
                _latestRenewal = expiresAt > _latestRenewal ? expiresAt : _latestRenewal;
                _renewalWaiters.RemoveAll(w =>
                {
                    if (w.ExpiresAt > _latestRenewal)
                    {
                        return false;
                    }

                    release.Add(w.Done);
                    return true;
                });
            }

            release.ForEach(done => done.TrySetResult());
        }

        return renewed;
    }

    public override ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default) =>
        _inner.FindExpiredLeasesAsync(maxCount, cancellationToken);

    public override ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default) =>
        _inner.AppendIfLeaseExpiredAsync(taskId, draft, cancellationToken);

    private readonly TaskCompletionSource _deleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a retention sweep has deleted at least one task.</summary>
    public Task FirstDeletion => _deleted.Task;

    public override async ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        var count = await _inner.DeleteEndedAsync(endedBefore, maxCount, cancellationToken);
        if (count > 0)
        {
            _deleted.TrySetResult();
        }

        return count;
    }

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default)
    {
        OnGet?.Invoke(taskId);
        return _inner.GetAsync(taskId, historyLength, includeArtifacts, cancellationToken);
    }

    public override async ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        if (BeforeRead is { } before)
        {
            await before();
        }

        return FailRead is { } fail ? throw fail() : await _inner.ReadAsync(taskId, afterSequence, maxCount, cancellationToken);
    }

    public override ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default) =>
        _inner.WaitForEventsAsync(taskId, afterSequence, cancellationToken);

    public override ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default) =>
        _inner.SavePushConfigAsync(taskId, config, afterSequence, cancellationToken);

    public override ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        _inner.GetPushConfigAsync(taskId, configId, cancellationToken);

    public override ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default) =>
        _inner.ListPushConfigsAsync(taskId, cancellationToken);

    public override ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        _inner.DeletePushConfigAsync(taskId, configId, cancellationToken);

    public override ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default) =>
        _inner.ClaimPushDeliveriesAsync(owner, lease, maxCount, cancellationToken);

    public override ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default) =>
        _inner.AdvancePushCursorAsync(taskId, configId, owner, cursor, lease, cancellationToken);

    public override ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default) =>
        _inner.ReleasePushDeliveryAsync(taskId, configId, owner, outcome, cancellationToken);

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default) =>
        FailList is { } fail ? throw fail() : _inner.ListAsync(query, cancellationToken);
}
