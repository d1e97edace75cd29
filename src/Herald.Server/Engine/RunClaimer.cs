using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// Claims runs to do from the store while this process has free run slots, and starts them. A message accepted where no
/// slot was free (or by a process that runs no agents) is recorded in the store with its run to do; every process that
/// runs agents claims such runs, oldest first, one conditional store write each (<see cref="TaskStore.ClaimRunAsync"/>),
/// so a run is claimed by one process only. It looks when woken: by this process (a run recorded here, a slot freed), by
/// the store (<see cref="TaskStore.WaitForPendingRunsAsync"/>: PostgreSQL's NOTIFY from any replica), and otherwise every
/// <see cref="HeraldOptions.MaintenanceInterval"/> (wake-ups are hints; a claim left by a process that died before starting
/// its run is found this way).
/// </summary>
internal sealed class RunClaimer : IDisposable
{
    private readonly TaskEngine _engine;
    private readonly AgentRunner _runner;
    private readonly EngineShutdown _shutdown;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _signal = NewSignal();
    private Task _loop = Task.CompletedTask;

    public RunClaimer(TaskEngine engine, AgentRunner runner, EngineShutdown shutdown)
    {
        _engine = engine;
        _runner = runner;
        _shutdown = shutdown;
        runner.SlotFreed += Signal;
    }

    /// <summary>Starts claiming, when this process runs agents.</summary>
    public void Start()
    {
        if (_engine.Options.RunAgents && _engine.HasAgent && _loop.IsCompleted)
        {
            _loop = Task.Run(() => LoopAsync(_stop.Token));
        }
    }

    /// <summary>Looks for runs to do now (a run was recorded, or a slot freed, in this process).</summary>
    public void Signal()
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            signal = _signal;
            _signal = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>Stops claiming and waits for a claim in flight; runs already started go on (shutdown stops them).</summary>
    public async Task StopAsync()
    {
        Stop();
        await _loop.ConfigureAwait(false);
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        var retry = new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        while (!stop.IsCancellationRequested && !_shutdown.Stopping)
        {
            // Taken before looking, so that a signal that comes while this looks is not lost.
            Task woken;
            lock (_gate)
            {
                woken = _signal.Task;
            }

            try
            {
                await ClaimWhileFreeAsync(stop).ConfigureAwait(false);
                retry.Reset();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The store failed (transiently, or otherwise): tried again after a back-off; nothing is remembered.
                Log.ClaimFailed(_engine.Logger, ex);
                woken = Task.WhenAny(woken, Task.Delay(retry.Next(), _engine.Time, stop));
            }

            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            try
            {
                var sweep = Task.Delay(_engine.Options.MaintenanceInterval, _engine.Time, waiting.Token);
                var recorded = _runner.HasFreeSlot ? _engine.Store.WaitForPendingRunsAsync(waiting.Token).AsTask() : Task.Delay(Timeout.Infinite, waiting.Token);
                await Task.WhenAny(woken, sweep, recorded).ConfigureAwait(false);
            }
            finally
            {
                await waiting.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Claims and starts runs while a slot is free and the store has runs to do.</summary>
    private async Task ClaimWhileFreeAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && !_shutdown.Stopping && _runner.TryTakeSlot())
        {
            var started = false;
            try
            {
                var owner = _engine.Options.InstanceId + "/" + Guid.NewGuid().ToString("N");
                var claimed = await _engine.Store.ClaimRunAsync(new RunnerLease(owner, _engine.Options.RunnerLeaseDuration), stop).ConfigureAwait(false);
                if (claimed is null)
                {
                    return;
                }

                started = await StartAsync(claimed, owner, stop).ConfigureAwait(false);
            }
            finally
            {
                if (!started)
                {
                    // Given back quietly: this is the claimer itself, it needs no wake-up.
                    _runner.ReleaseSlot(notify: false);
                }
            }
        }
    }

    /// <summary>
    /// Starts a claimed run: marks it started in the store (only while the claim is still this process's), then runs the
    /// agent here. A claim not started (shutdown began, or the claim was lost) is left to expire: another process claims it.
    /// </summary>
    private async Task<bool> StartAsync(ClaimedRun claimed, string owner, CancellationToken stop)
    {
        var taskId = claimed.TaskId;
        SendMessageRequest request;
        Message message;
        bool continuation;
        try
        {
            (request, message, continuation) = RunRecord.Decode(claimed.Run);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Never runnable, here or anywhere: the task ends with a reason instead of being claimed for good.
            Log.UnreadableRun(_engine.Logger, taskId, ex);
            var snapshotOfBad = await _engine.Store.GetAsync(taskId, 0, false, stop).ConfigureAwait(false);
            var reason = Message.AgentText("The server could not read this task's request back from the store, so its agent never ran.");
            var draft = _engine.Drafts.Status(taskId, snapshotOfBad?.Task.ContextId ?? "", TaskState.Failed, reason with { TaskId = taskId, ContextId = snapshotOfBad?.Task.ContextId });
            await _engine.Store.AppendAsync(taskId, draft, new AppendOptions { LeaseOwner = owner }, stop).ConfigureAwait(false);
            return false;
        }

        var snapshot = await _engine.Store.GetAsync(taskId, cancellationToken: stop).ConfigureAwait(false);
        if (snapshot is null || _shutdown.Stopping || !await _engine.Store.StartRunAsync(taskId, owner, stop).ConfigureAwait(false))
        {
            return false;
        }

        var task = snapshot.Task;
        var existing = continuation ? WithoutLastMessage(task, message.MessageId) : null;
        var run = new AgentRun(_engine, taskId, task.ContextId ?? "", message, request, existing, owner, snapshot.Sequence, taskExists: true)
        {
            Claimed = true,

            // The trace of the request that accepted the message, kept with the task: the run joins it from this process too.
            TraceContext = snapshot.TraceContext,
            Owner = snapshot.Owner,
        };
        run.MarkTaskCreated(snapshot);
        _runner.Start(run);
        return true;
    }

    /// <summary>The task as the continuing message found it: its history without that message (the agent sees the message apart).</summary>
    private static AgentTask WithoutLastMessage(AgentTask task, string messageId) =>
        task.History is { Count: > 0 } history && history[^1].MessageId == messageId ? task with { History = [.. history.Take(history.Count - 1)] } : task;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
