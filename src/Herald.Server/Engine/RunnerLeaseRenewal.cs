namespace Herald.Server.Engine;

/// <summary>
/// Keeps a run's runner lease alive: a timer ticks every third of <see cref="HeraldOptions.RunnerLeaseDuration"/>
/// and each tick extends the lease in the store. A renewal the store refuses means someone else ended the run
/// (its lease expired and the task was failed), so the run's agent is canceled.
/// </summary>
internal sealed class RunnerLeaseRenewal : IAsyncDisposable
{
    private readonly TaskEngine _engine;
    private readonly AgentRun _run;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _renewing;
    private int _renewRequested;
    private Task _loop = Task.CompletedTask;

    public RunnerLeaseRenewal(TaskEngine engine, AgentRun run)
    {
        _engine = engine;
        _run = run;
        var every = engine.Options.RunnerLeaseDuration / 3;
        _timer = engine.Time.CreateTimer(static state => ((RunnerLeaseRenewal)state!).Renew(), this, every, every);
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);

        // The renewal loop is observed: a renewal in flight is canceled and awaited before the run goes away.
        await _stop.CancelAsync().ConfigureAwait(false);
        await Volatile.Read(ref _loop).ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Renew()
    {
        // A tick while a renewal is still in flight is not dropped: it is coalesced into one more renewal after it,
        // with the time of when that runs, so the lease always ends up extended from the latest tick.
        Volatile.Write(ref _renewRequested, 1);
        if (Interlocked.Exchange(ref _renewing, 1) == 0)
        {
            Volatile.Write(ref _loop, RenewLoopAsync());
        }
    }

    private async Task RenewLoopAsync()
    {
        while (true)
        {
            while (Interlocked.Exchange(ref _renewRequested, 0) == 1)
            {
                await RenewAsync().ConfigureAwait(false);
            }

            Volatile.Write(ref _renewing, 0);

            // A tick that came between the last check and the reset above would otherwise be lost.
            if (Volatile.Read(ref _renewRequested) == 0 || Interlocked.Exchange(ref _renewing, 1) == 1)
            {
                return;
            }
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            // Renewal stops once the turn's end is durable, not once it is reported: a terminal or pausing write that is
            // still being retried (the store failing transiently) must keep its lease, or recovery fails a task whose agent
            // completed it (found by StoreFaultTests.TerminalWriteRetriedLongerThanTheLease_LeaseStillRenewed_TaskCompletes).
            if (_run.Writer.EndWritten || _run.Writer.IsAbandoned || _run.Cancellation.IsCancellationRequested
                || _stop.IsCancellationRequested)
            {
                return;
            }

            // Bounded: a renewal that hangs (a store that does not answer) is given up at the next tick's time, which
            // still leaves two ticks before the lease lapses.
            using var timeout = new CancellationTokenSource(_engine.Options.RunnerLeaseDuration / 3, _engine.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
            if (!await _engine.Store.RenewLeaseAsync(_run.TaskId, _run.LeaseOwner, _engine.Options.RunnerLeaseDuration, linked.Token)
                    .AsTask().WaitAsync(linked.Token).ConfigureAwait(false))
            {
                // Someone else decided this run is over (its lease expired and the task was failed): stop the agent.
                await _run.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store hiccup: the next tick tries again, well before the lease runs out.
            Log.LeaseRenewalFailed(_engine.Logger, _run.TaskId, ex);
        }
    }
}
