using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// One execution of the agent for one message. It holds the task's runner lease (kept alive while it
/// runs by a <see cref="RunnerLeaseRenewal"/>), writes the agent's reports through a <see cref="ReportWriter"/>
/// fenced by that lease, and watches its own task's log: a terminal event that anyone else appends (CancelTask
/// on any replica, <see cref="IHeraldTasks"/>, lease recovery) cancels the agent's token. Nothing here decides
/// who runs the task; the store does.
/// </summary>
internal sealed class AgentRun : IAsyncDisposable
{
    private readonly TaskCompletionSource<SendResult> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private readonly TaskEngine _engine;
    private bool _renewing;
    private readonly CancellationTokenSource _watchStop = new();
    private FeedReader? _watch;
    private Task _watching = Task.CompletedTask;
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
        Writer = new ReportWriter(engine.Store, taskId, leaseOwner, watchFrom, engine.Time, engine.Options.StoreRetryHorizon, engine.Logger);

        // A run abandoned because the store stayed unavailable stops its agent; the runner then ends the task with a reason.
        Writer.Abandoned.ContinueWith(static (_, state) => ((AgentRun)state!).Cancel(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public string TaskId { get; }

    public string ContextId { get; }

    public Message Message { get; }

    public SendMessageRequest Request { get; }

    public AgentTask? ExistingTask { get; }

    /// <summary>The trace context of the request that accepted the message (what the store keeps with the task), when traced.</summary>
    public TaskTraceContext? TraceContext { get; init; }

    /// <summary>Whose the task is (the caller that created it): kept with a task this run creates, and shown to the agent.</summary>
    public TaskOwner Owner { get; init; } = TaskOwner.Anonymous;

    /// <summary>A webhook sent with the message, kept with the task when this run creates it (agents that may answer with a message).</summary>
    public TaskPushNotificationConfig? PushConfig { get; init; }

    /// <summary>This run's identity in the task's lease.</summary>
    public string LeaseOwner { get; }

    /// <summary>The log position the run started at: terminal events after it are watched for.</summary>
    public long WatchFrom { get; private set; }

    public ReportWriter Writer { get; }

    public CancellationTokenSource Cancellation { get; } = new();

    public bool TaskExists => _taskExists;

    /// <summary>True for a run claimed from the store (its message was accepted as a run to do, the task created then).</summary>
    public bool Claimed { get; init; }

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
        if (_renewing || !_taskExists)
        {
            return;
        }

        _renewing = true;
        _engine.LeaseRenewal.Add(this);
        _watch = _engine.Feeds.Open(TaskId, WatchFrom);
        _watching = WatchAsync(_watch);
    }

    public void MarkTaskCreated(TaskSnapshot snapshot)
    {
        _taskExists = true;
        WatchFrom = snapshot.Sequence;
        Writer.StartAt(snapshot.Sequence);
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
        _engine.LeaseRenewal.Remove(this);

        // The watch is observed: stopped, awaited, and only then its feed left.
        await _watchStop.CancelAsync().ConfigureAwait(false);
        await _watching.ConfigureAwait(false);
        _watch?.Dispose();
        _watchStop.Dispose();
        Cancellation.Dispose();
        _createGate.Dispose();
    }

    private void Cancel()
    {
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task WatchAsync(FeedReader reader)
    {
        var feed = reader.Feed;
        var position = WatchFrom;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(Cancellation.Token, _watchStop.Token);
        var token = linked.Token;
        var retry = new RetryBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
        try
        {
            while (!token.IsCancellationRequested)
            {
                IReadOnlyList<TaskEvent> batch;
                try
                {
                    batch = await feed.ReadAsync(position, 256, token).ConfigureAwait(false);
                    retry.Reset();
                }
                catch (Exception ex) when (TaskStore.IsTransient(ex))
                {
                    // The store is unavailable: the watch goes on once it is back (the feed heals meanwhile).
                    await Task.Delay(retry.Next(), _engine.Time, token).ConfigureAwait(false);
                    continue;
                }

                if (batch.Count == 0)
                {
                    if (feed.Ended && position >= feed.End)
                    {
                        break;
                    }

                    // Stopping the watch (every run's end) must not throw: an exception per run is most of what a
                    // short task costs here. A failed feed shows at the next read; a stop, at the loop's check.
                    await feed.WaitAsync(position).WaitAsync(token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Observed, never thrown away: a watch that cannot go on leaves the run to its lease and the store's refusals.
            Log.FeedFailed(_engine.Logger, TaskId, ex);
        }
    }
}
