using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Engine;

/// <summary>
/// Stops the engine: refuses new messages, cancels this process's runs (their tasks end canceled, so every
/// stream gets a final event), and then closes the streams. Owns the two tokens streams watch to end.
/// </summary>
internal sealed class EngineShutdown : IDisposable
{
    private readonly TaskStore _store;
    private readonly EventDrafts _drafts;
    private readonly AgentRunner _runner;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _streamsClosing = new();
    private readonly CancellationTokenSource _streamsDeadline;
    private volatile bool _stopping;
    private Task? _shutdown;

    public EngineShutdown(TaskStore store, EventDrafts drafts, AgentRunner runner, HeraldOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _drafts = drafts;
        _runner = runner;
        _options = options;
        _time = time;
        _logger = logger;
        _streamsDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>True once shutdown has begun: no new message is accepted.</summary>
    public bool Stopping => _stopping;

    /// <summary>Canceled when shutdown has stopped the runs: streams deliver what is there, then end.</summary>
    public CancellationToken StreamsClosing => _streamsClosing.Token;

    /// <summary>Canceled when shutdown runs out of time: every stream ends at its next event boundary.</summary>
    public CancellationToken StreamsDeadline => _streamsDeadline.Token;

    /// <summary>
    /// Stops accepting messages, cancels this process's running agents (their tasks end canceled, so
    /// every stream gets a final event), waits a bounded time for them, then lets streams drain: each ends
    /// once it has delivered what is there, and all end by the shutdown timeout, between events.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _shutdown ??= RunShutdownAsync(cancellationToken);
            return _shutdown;
        }
    }

    public void Dispose()
    {
        _streamsClosing.Dispose();
        _streamsDeadline.Dispose();
    }

    private async Task RunShutdownAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _streamsDeadline.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await CancelRunsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _streamsClosing.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends every run of this process at once: each run's writer refuses the agent's further reports and writes
    /// <c>canceled</c> after what the agent reported before (all writes issued together, so a store batches them: one group
    /// commit on SQLite), every agent's token is canceled at the same time, and the whole wait is bounded by
    /// <see cref="HeraldOptions.ShutdownTimeout"/>. Nothing an agent reports after shutdown began reaches the log.
    /// </summary>
    private async Task CancelRunsAsync(CancellationToken cancellationToken)
    {
        var running = _runner.SnapshotRuns();
        if (running.Length == 0)
        {
            return;
        }

        Log.ShuttingDown(_logger, running.Length);
        using var deadline = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var ends = new Task[running.Length];
        for (var i = 0; i < running.Length; i++)
        {
            ends[i] = EndRunAsync(running[i], linked.Token);
        }

        await Task.WhenAll(running.Select(r => r.CancelAsync())).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(ends).WaitAsync(linked.Token).ConfigureAwait(false);
            await Task.WhenAll(running.Select(r => r.Execution)).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Out of time: runs whose end is not written keep their lease until it expires; recovery fails them with a reason.
        }
    }

    private async Task EndRunAsync(AgentRun run, CancellationToken cancellationToken)
    {
        if (!run.TaskExists)
        {
            return;
        }

        var canceled = _drafts.Status(run.TaskId, run.ContextId, TaskState.Canceled,
            Message.AgentText("The server shut down while this task was running.") with { TaskId = run.TaskId, ContextId = run.ContextId });
        try
        {
            await run.Writer.EndForShutdownAsync(canceled, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskAlreadyTerminalException or LeaseLostException or A2AException or OperationCanceledException)
        {
            // Ended from elsewhere in the meantime, or out of time.
        }
        catch (Exception ex) when (TaskStore.IsTransient(ex))
        {
            // The store is down: the run's lease is left to expire, and recovery (here after a restart, or on another
            // replica) fails the task with a reason.
            Log.LeaseRenewalFailed(_logger, run.TaskId, ex);
        }
    }
}
