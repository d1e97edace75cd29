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
    private int _renewing;
    private int _renewRequested;

    public RunnerLeaseRenewal(TaskEngine engine, AgentRun run)
    {
        _engine = engine;
        _run = run;
        var every = engine.Options.RunnerLeaseDuration / 3;
        _timer = engine.Time.CreateTimer(static state => ((RunnerLeaseRenewal)state!).Renew(), this, every, every);
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    private void Renew()
    {
        // A tick while a renewal is still in flight is not dropped: it is coalesced into one more renewal after it,
        // with the time of when that runs, so the lease always ends up extended from the latest tick.
        Volatile.Write(ref _renewRequested, 1);
        if (Interlocked.Exchange(ref _renewing, 1) == 0)
        {
            _ = RenewLoopAsync();
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
            if (_run.Writer.Paused || _run.Writer.ReportedTerminal || _run.Cancellation.IsCancellationRequested)
            {
                return;
            }

            var expires = _engine.Time.GetUtcNow() + _engine.Options.RunnerLeaseDuration;
            if (!await _engine.Store.RenewLeaseAsync(_run.TaskId, _run.LeaseOwner, expires).ConfigureAwait(false))
            {
                // Someone else decided this run is over (its lease expired and the task was failed): stop the agent.
                await _run.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store hiccup: the next tick tries again, well before the lease runs out.
            Log.LeaseRenewalFailed(_engine.Logger, _run.TaskId, ex);
        }
    }
}
