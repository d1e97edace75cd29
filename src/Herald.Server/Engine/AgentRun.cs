using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// One execution of the agent for one message. It holds the task's runner lease (renewed while it
/// runs), writes the agent's reports through a <see cref="ReportWriter"/> fenced by that lease, and
/// watches its own task's log: a terminal event that anyone else appends (CancelTask on any replica,
/// <see cref="IHeraldTasks"/>, lease recovery) cancels the agent's token. Nothing here decides who runs
/// the task; the store does.
/// </summary>
internal sealed class AgentRun : IAsyncDisposable
{
    private readonly TaskCompletionSource<SendResult> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private readonly TaskEngine _engine;
    private ITimer? _renewal;
    private int _renewing;
    private int _renewRequested;
    private FeedReader? _watch;
    private volatile bool _taskExists;

    public AgentRun(TaskEngine engine, string taskId, string contextId, Message message, SendMessageRequest request, AgentTask? existingTask, string leaseOwner, long watchFrom, bool taskExists)
    {
        _engine = engine;
        TaskId = taskId;
        ContextId = contextId;
        Message = message;
        Request = request;
        ExistingTask = existingTask;
        LeaseOwner = leaseOwner;
        WatchFrom = watchFrom;
        _taskExists = taskExists;
        Writer = new ReportWriter(engine.Store, taskId, leaseOwner);
    }

    public string TaskId { get; }

    public string ContextId { get; }

    public Message Message { get; }

    public SendMessageRequest Request { get; }

    public AgentTask? ExistingTask { get; }

    /// <summary>This run's identity in the task's lease.</summary>
    public string LeaseOwner { get; }

    /// <summary>The log position the run started at: terminal events after it are watched for.</summary>
    public long WatchFrom { get; private set; }

    public ReportWriter Writer { get; }

    public CancellationTokenSource Cancellation { get; } = new();

    public bool TaskExists => _taskExists;

    public bool Replied { get; private set; }

    /// <summary>Completes when the sender can answer: the task exists, or the agent replied directly.</summary>
    public Task<SendResult> Started => _started.Task;

    public SemaphoreSlim CreateGate => _createGate;

    /// <summary>The background execution, for shutdown to wait on.</summary>
    public Task Execution { get; set; } = Task.CompletedTask;

    /// <summary>Completes when the execution has ended.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Starts lease renewal and the watch for terminal events appended by others.</summary>
    public void BeginWatching()
    {
        if (_renewal is not null || !_taskExists)
        {
            return;
        }

        var every = _engine.Options.RunnerLeaseDuration / 3;
        _renewal = _engine.Time.CreateTimer(static state => ((AgentRun)state!).Renew(), this, every, every);
        _watch = _engine.Feeds.Open(TaskId, WatchFrom);
        _ = WatchAsync(_watch);
    }

    public void MarkTaskCreated(TaskSnapshot snapshot)
    {
        _taskExists = true;
        WatchFrom = snapshot.Sequence;
        _started.TrySetResult(new SendResult(null, snapshot));
    }

    public void Reply(Message message)
    {
        Replied = true;
        _started.TrySetResult(new SendResult(message, null));
    }

    public void Fail(Exception exception) => _started.TrySetException(exception);

    public void MarkFinished() => _finished.TrySetResult();

    /// <summary>Fires the agent's token; harmless once the run has ended.</summary>
    public async Task CancelAsync()
    {
        try
        {
            await Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_renewal is not null)
        {
            await _renewal.DisposeAsync().ConfigureAwait(false);
        }

        _watch?.Dispose();
        Cancellation.Dispose();
        _createGate.Dispose();
    }

    private async Task WatchAsync(FeedReader reader)
    {
        var feed = reader.Feed;
        var position = WatchFrom;
        var token = Cancellation.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var batch = await feed.ReadAsync(position, 256, token).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    if (feed.Ended && position >= feed.End)
                    {
                        break;
                    }

                    await feed.WaitAsync(position).WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                foreach (var e in batch)
                {
                    position = e.Sequence;
                    if (e.IsTerminal)
                    {
                        // The run's own terminal report ends it by itself; anyone else's stops the agent now.
                        if (!Writer.ReportedTerminal)
                        {
                            await CancelAsync().ConfigureAwait(false);
                        }

                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (A2AException)
        {
            // The task is gone (deleted): nothing left to run for.
            await CancelAsync().ConfigureAwait(false);
        }
    }

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
            if (Writer.Paused || Writer.ReportedTerminal || Cancellation.IsCancellationRequested)
            {
                return;
            }

            if (!await _engine.Store.RenewLeaseAsync(TaskId, LeaseOwner, _engine.Options.RunnerLeaseDuration).ConfigureAwait(false))
            {
                // Someone else decided this run is over (its lease expired and the task was failed): stop the agent.
                await CancelAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A store hiccup: the next tick tries again, well before the lease runs out.
            Log.LeaseRenewalFailed(_engine.Logger, TaskId, ex);
        }
    }
}
