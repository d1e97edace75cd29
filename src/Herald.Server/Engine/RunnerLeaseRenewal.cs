using System.Collections.Concurrent;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// Keeps the runner leases of this process's runs alive with one renewal for all of them: a timer ticks every third of
/// <see cref="HeraldOptions.RunnerLeaseDuration"/>, and each tick renews every run's lease in one store call
/// (<see cref="TaskStore.RenewLeasesAsync"/>: one write on SQLite, one statement on PostgreSQL), so a thousand running
/// agents cost one write per interval, not a thousand. A renewal the store refuses means someone else ended that run (its
/// lease expired and the task was failed), so its agent is canceled.
/// </summary>
internal sealed class RunnerLeaseRenewal : IAsyncDisposable, IDisposable
{
    private readonly TaskEngine _engine;
    private readonly ConcurrentDictionary<AgentRun, byte> _runs = new();
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _renewing;
    private int _renewRequested;
    private Task _loop = Task.CompletedTask;

    public RunnerLeaseRenewal(TaskEngine engine)
    {
        _engine = engine;
        var every = engine.Options.RunnerLeaseDuration / 3;
        _timer = engine.Time.CreateTimer(static state => ((RunnerLeaseRenewal)state!).Renew(), this, every, every);
    }

    /// <summary>Renews <paramref name="run"/>'s lease from the next tick on, until it ends.</summary>
    public void Add(AgentRun run) => _runs.TryAdd(run, 0);

    /// <summary>Stops renewing <paramref name="run"/>'s lease (a renewal already in flight may still carry it: harmless).</summary>
    public void Remove(AgentRun run) => _runs.TryRemove(run, out _);

    /// <summary>Stops the timer and cancels a renewal in flight without waiting for it (the engine's synchronous dispose).</summary>
    public void Dispose()
    {
        _timer.Dispose();
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);

        // The renewal loop is observed: a renewal in flight is canceled and awaited before the engine goes away.
        await _stop.CancelAsync().ConfigureAwait(false);
        await Volatile.Read(ref _loop).ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Renew()
    {
        // A tick while a renewal is still in flight is not dropped: it is coalesced into one more renewal after it,
        // with the time of when that runs, so the leases always end up extended from the latest tick.
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
                await RenewAllAsync().ConfigureAwait(false);
            }

            Volatile.Write(ref _renewing, 0);

            // A tick that came between the last check and the reset above would otherwise be lost.
            if (Volatile.Read(ref _renewRequested) == 0 || Interlocked.Exchange(ref _renewing, 1) == 1)
            {
                return;
            }
        }
    }

    private async Task RenewAllAsync()
    {
        // Renewal stops once a turn's end is durable, not once it is reported: a terminal or pausing write that is still
        // being retried (the store failing transiently) must keep its lease, or recovery fails a task whose agent completed
        // it (found by StoreFaultTests.TerminalWriteRetriedLongerThanTheLease_LeaseStillRenewed_TaskCompletes).
        var due = new List<AgentRun>();
        foreach (var run in _runs.Keys)
        {
            if (!run.Writer.EndWritten && !run.Writer.IsAbandoned && !run.Cancellation.IsCancellationRequested)
            {
                due.Add(run);
            }
        }

        if (due.Count == 0 || _stop.IsCancellationRequested)
        {
            return;
        }

        try
        {
            // Bounded: a renewal that hangs (a store that does not answer) is given up at the next tick's time, which
            // still leaves two ticks before the leases lapse.
            using var timeout = new CancellationTokenSource(_engine.Options.RunnerLeaseDuration / 3, _engine.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
            var leases = due.Select(r => new LeaseRenewal(r.TaskId, r.LeaseOwner)).ToArray();
            var refused = await _engine.Store.RenewLeasesAsync(leases, _engine.Options.RunnerLeaseDuration, linked.Token)
                .AsTask().WaitAsync(linked.Token).ConfigureAwait(false);
            if (refused.Count == 0)
            {
                return;
            }

            // Someone else decided these runs are over (their leases expired and the tasks were failed): stop their agents.
            var stop = new HashSet<string>(refused, StringComparer.Ordinal);
            foreach (var run in due.Where(r => stop.Contains(r.TaskId)))
            {
                await run.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store hiccup: the next tick tries again, well before the leases run out.
            Log.LeaseRenewalFailed(_engine.Logger, due.Count == 1 ? due[0].TaskId : $"{due[0].TaskId} and {due.Count - 1} more", ex);
        }
    }
}
