using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Server.Engine;

/// <summary>How a sender wants its answer.</summary>
internal enum SendMode
{
    /// <summary>Wait for a terminal or interrupted state (SendMessage default).</summary>
    Blocking,

    /// <summary>Answer as soon as the task exists (return_immediately).</summary>
    Immediate,

    /// <summary>Answer with the task as of acceptance; the caller streams the events after it.</summary>
    Streaming,
}

/// <summary>
/// Applies A2A semantics on top of the store: creates and continues tasks, runs agents in the
/// background under a store-held lease, cancels, lists, and opens streams. Every change goes through
/// the task's log; who runs what is decided by the store, not by this process's memory. The only
/// in-memory table is of this process's own runs, so that shutdown can stop them.
/// </summary>
internal sealed class TaskEngine : IHeraldEngine, IHeraldTasks, IDisposable
{
    private readonly TaskStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly AgentRegistration? _agent;
    private readonly TimeProvider _time;
    private readonly HeraldOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<AgentRun, byte> _runs = new();
    private readonly CancellationTokenSource _streamsClosing = new();
    private readonly CancellationTokenSource _streamsDeadline;
    private volatile bool _stopping;
    private Task? _shutdown;

    public TaskEngine(
        TaskStore store,
        IServiceScopeFactory scopes,
        IOptions<HeraldOptions> options,
        AgentRegistration? agent = null,
        TimeProvider? time = null,
        ILogger<TaskEngine>? logger = null)
    {
        _store = store;
        _scopes = scopes;
        _agent = agent;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _streamsDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        Feeds = new TaskFeeds(store, _logger);
    }

    public TaskStore Store => _store;

    public HeraldOptions Options => _options;

    public TimeProvider Time => _time;

    public ILogger Logger => _logger;

    public TaskFeeds Feeds { get; }

    public bool HasAgent => _agent is not null;

    /// <summary>How the registered agent answers (a task for every message unless it declared otherwise).</summary>
    public AgentResponseMode ResponseMode => _agent?.Mode ?? AgentResponseMode.Task;

    /// <summary>Canceled when shutdown has stopped the runs: streams deliver what is there, then end.</summary>
    public CancellationToken StreamsClosing => _streamsClosing.Token;

    /// <summary>Canceled when shutdown runs out of time: every stream ends at its next event boundary.</summary>
    public CancellationToken StreamsDeadline => _streamsDeadline.Token;

    /// <summary>Number of agent executions in flight in this process.</summary>
    public int RunningCount => _runs.Count;

    // ---- IHeraldEngine: what bindings call ----

    public ValueTask<SendResult> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default) =>
        SendMessageAsync(request, SendOptions.Default, cancellationToken);

    public async ValueTask<SendResult> SendMessageAsync(SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var mode = request?.Configuration?.ReturnImmediately == true ? SendMode.Immediate : SendMode.Blocking;
        return await SendAsync(request!, mode, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<TaskStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default) =>
        SendStreamingMessageAsync(request, SendOptions.Default, cancellationToken);

    public async ValueTask<TaskStream> SendStreamingMessageAsync(SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var start = await SendAsync(request, SendMode.Streaming, options, cancellationToken).ConfigureAwait(false);
        if (start.Reply is { } reply)
        {
            return TaskStream.ForReply(reply);
        }

        var snapshot = start.Task!;
        return new TaskStream(this, snapshot, snapshot.Task.Id, snapshot.Sequence, stopAtInterrupt: true, keepAlives: true,
            completed: snapshot.Task.Status.State.IsTerminal());
    }

    public async ValueTask<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = RequestValidator.RequireId(request.Id);
        var historyLength = RequestValidator.HistoryLength(request.HistoryLength);
        var snapshot = await _store.GetAsync(id, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false);
        return snapshot?.Task ?? throw A2AException.TaskNotFound(id);
    }

    public async ValueTask<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pageSize = request.PageSize ?? _options.DefaultPageSize;
        if (pageSize < 1 || pageSize > _options.MaxPageSize)
        {
            throw A2AException.InvalidParams("pageSize", $"pageSize must be between 1 and {_options.MaxPageSize}.");
        }

        if (request.Status == TaskState.Unspecified)
        {
            request = request with { Status = null };
        }

        var query = new TaskQuery
        {
            ContextId = string.IsNullOrEmpty(request.ContextId) ? null : request.ContextId,
            State = request.Status,
            StatusTimestampAfter = request.StatusTimestampAfter,
            PageSize = pageSize,
            After = PageToken.Decode(request.PageToken),
            HistoryLength = RequestValidator.HistoryLength(request.HistoryLength),
            IncludeArtifacts = request.IncludeArtifacts == true,
        };
        var page = await _store.ListAsync(query, cancellationToken).ConfigureAwait(false);
        return new ListTasksResponse
        {
            Tasks = page.Tasks,
            NextPageToken = PageToken.Encode(page.Next),
            PageSize = pageSize,
            TotalSize = page.TotalSize,
        };
    }

    public async ValueTask<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = RequestValidator.RequireId(request.Id);
        var snapshot = await _store.GetAsync(id, 0, false, cancellationToken).ConfigureAwait(false)
            ?? throw A2AException.TaskNotFound(id);
        if (snapshot.Task.Status.State.IsTerminal())
        {
            throw NotCancelable(id, snapshot.Task.Status.State);
        }

        try
        {
            // The canceled event is all it takes: the runner (in this process or another) watches the log and
            // stops its agent, and whatever the agent reports next is refused by the store.
            await AppendStatusAsync(id, snapshot.Task.ContextId ?? "", TaskState.Canceled, null, default, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskAlreadyTerminalException ex)
        {
            throw NotCancelable(id, ex.State);
        }

        Log.TaskCanceled(_logger, id);
        var after = await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return after?.Task ?? throw A2AException.TaskNotFound(id);
    }

    public async ValueTask<TaskStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, long? lastEventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = RequestValidator.RequireId(request.Id);
        if (lastEventId is { } after)
        {
            return await OpenStreamAfterAsync(id, after, stopAtInterrupt: true, keepAlives: true, validate: true, cancellationToken).ConfigureAwait(false);
        }

        var snapshot = await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false)
            ?? throw A2AException.TaskNotFound(id);
        if (snapshot.Task.Status.State.IsTerminal())
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                $"Task '{id}' is {snapshot.Task.Status.State.ToWireName()}; subscribe with Last-Event-ID to replay its events.");
        }

        return new TaskStream(this, snapshot, id, snapshot.Sequence, stopAtInterrupt: true, keepAlives: true, completed: false);
    }

    // ---- sending ----

    public Task<SendResult> SendAsync(SendMessageRequest request, SendMode mode, CancellationToken cancellationToken) =>
        SendAsync(request, mode, SendOptions.Default, cancellationToken);

    public async Task<SendResult> SendAsync(SendMessageRequest request, SendMode mode, SendOptions options, CancellationToken cancellationToken)
    {
        var message = RequestValidator.ValidateSend(request);
        var clientChosenId = options.CreateTaskWithClientId;
        if (clientChosenId)
        {
            RequestValidator.ValidateClientTaskId(message.TaskId);
        }

        if (_stopping)
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation, "The server is shutting down and accepts no new messages.");
        }

        var agent = _agent ?? throw new InvalidOperationException("No agent is registered: call services.AddHerald().AddAgent<TAgent>().");
        var now = Now();
        var lease = new RunnerLease(NewLeaseOwner(), _options.RunnerLeaseDuration);
        AgentRun run;
        SendResult? accepted = null;
        if (message.TaskId is { Length: > 0 } taskId)
        {
            // The task as the message finds it (what the agent sees as ExistingTask); the decision comes below.
            var existing = await _store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing is null && clientChosenId)
            {
                // A new task under the client's id. The store's duplicate check decides a race with another sender
                // of the same id; the loser continues the winner's task if it may (the decision below), like any follow-up.
                var contextId = message.ContextId is { Length: > 0 } given ? given : Guid.NewGuid().ToString();
                var started = await TryStartNewTaskAsync(agent, taskId, contextId, message with { ContextId = contextId }, request, lease, now, cancellationToken)
                    .ConfigureAwait(false);
                if (started is { } fresh)
                {
                    (run, accepted) = fresh;
                    return await FinishSendAsync(run, accepted, request, mode, cancellationToken).ConfigureAwait(false);
                }

                existing = await _store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (existing is null)
            {
                throw A2AException.TaskNotFound(taskId);
            }

            var taskContextId = existing.Task.ContextId ?? "";
            if (existing.Task.Status.State.IsTerminal())
            {
                throw clientChosenId ? TaskIdTaken(taskId, existing.Task.Status.State) : AcceptsNoMessages(taskId, existing.Task.Status.State);
            }

            if (message.ContextId is { Length: > 0 } givenContext && givenContext != taskContextId)
            {
                throw A2AException.InvalidParams("message.contextId", $"message.contextId '{givenContext}' does not match task '{taskId}' (context '{taskContextId}').");
            }

            message = message with { TaskId = taskId, ContextId = taskContextId };

            // One atomic store decision: the task is not terminal and nobody holds a live lease on it; the
            // message is appended and the lease taken in the same write. No check-then-act here.
            var outcome = await _store.ContinueAsync(taskId, TaskEvent.ForMessage(0, message, now), lease, cancellationToken).ConfigureAwait(false);
            switch (outcome.Outcome)
            {
                case ContinueOutcome.NotFound:
                    throw A2AException.TaskNotFound(taskId);
                case ContinueOutcome.Terminal:
                    throw clientChosenId ? TaskIdTaken(taskId, outcome.State) : AcceptsNoMessages(taskId, outcome.State);
                case ContinueOutcome.Leased:
                    throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                        $"Task '{taskId}' is still being worked on ({outcome.State.ToWireName()}); send the next message once it asks for input.");
            }

            var snapshot = await _store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw A2AException.TaskNotFound(taskId);
            run = new AgentRun(this, taskId, taskContextId, message, request, existing.Task, lease.Owner, outcome.Message!.Sequence, taskExists: true);

            // The snapshot was read after the append: it includes the message (and anything appended since,
            // which a stream from it must not repeat).
            accepted = new SendResult(null, snapshot);
        }
        else
        {
            var contextId = message.ContextId is { Length: > 0 } c ? c : Guid.NewGuid().ToString();
            var newTaskId = Guid.NewGuid().ToString();
            (run, accepted) = await TryStartNewTaskAsync(agent, newTaskId, contextId, message with { ContextId = contextId }, request, lease, now, cancellationToken)
                .ConfigureAwait(false) ?? throw new InvalidOperationException($"The new task id '{newTaskId}' is taken.");
        }

        return await FinishSendAsync(run, accepted, request, mode, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A run for a message that starts a new task with id <paramref name="taskId"/>: with <see cref="AgentResponseMode.Task"/> the
    /// task is created now (null when the id is taken), otherwise by the agent's first report. Not started yet.
    /// </summary>
    private async Task<(AgentRun Run, SendResult? Accepted)?> TryStartNewTaskAsync(
        AgentRegistration agent, string taskId, string contextId, Message message, SendMessageRequest request, RunnerLease lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        message = message with { TaskId = taskId, ContextId = contextId };
        if (agent.Mode != AgentResponseMode.Task)
        {
            // The agent may answer with a direct message: the task is created by its first report, if any.
            return (new AgentRun(this, taskId, contextId, message, request, null, lease.Owner, 0, taskExists: false), null);
        }

        // The task exists (and is listed) from the moment the message is accepted, before agent code runs.
        var task = NewTask(taskId, contextId, message, now);
        TaskEvent created;
        try
        {
            created = await _store.CreateAsync(task, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskAlreadyExistsException)
        {
            return null;
        }

        return (new AgentRun(this, taskId, contextId, message, request, null, lease.Owner, created.Sequence, taskExists: true),
            new SendResult(null, new TaskSnapshot(task, created.Sequence)));
    }

    private async Task<SendResult> FinishSendAsync(AgentRun run, SendResult? accepted, SendMessageRequest request, SendMode mode, CancellationToken cancellationToken)
    {
        StartRun(run);
        var start = accepted ?? await run.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (start.Reply is not null || mode == SendMode.Streaming)
        {
            return start;
        }

        var historyLength = request.Configuration?.HistoryLength;
        if (mode == SendMode.Blocking)
        {
            await using var stream = new TaskStream(this, null, run.TaskId, start.Task!.Sequence, stopAtInterrupt: true, keepAlives: false,
                completed: start.Task.Task.Status.State.IsTerminal());
            var sink = new List<TaskEvent>();
            while (await stream.ReadAsync(sink, cancellationToken).ConfigureAwait(false) != TaskStreamRead.End)
            {
                sink.Clear();
            }
        }

        var current = await _store.GetAsync(run.TaskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new SendResult(null, current ?? throw A2AException.TaskNotFound(run.TaskId));
    }

    private void StartRun(AgentRun run)
    {
        _runs.TryAdd(run, 0);
        run.BeginWatching();
        run.Execution = Task.Run(() => ExecuteAsync(run), CancellationToken.None);
    }

    private async Task ExecuteAsync(AgentRun run)
    {
        var token = run.Cancellation.Token;
        var scope = _scopes.CreateAsyncScope();
        try
        {
            var context = new AgentContext(this, run);
            try
            {
                var agent = _agent!.Factory(scope.ServiceProvider);
                await agent.ExecuteAsync(context, token).ConfigureAwait(false);
                if (!run.Replied)
                {
                    await run.Writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    await FinishTurnAsync(run, TaskState.Completed, null).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is TaskAlreadyTerminalException or LeaseLostException)
            {
                // Ended from outside (canceled, or failed by lease recovery) while the agent was still reporting.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Log.AgentFailed(_logger, run.TaskId, ex);
                if (!run.Replied)
                {
                    await FinishTurnAsync(run, TaskState.Failed, Message.AgentText("The agent failed with an internal error.")).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            // Creating the task itself failed: the sender gets the error instead of waiting.
            run.Fail(ex);
        }
        finally
        {
            _runs.TryRemove(run, out _);
            run.MarkFinished();
            await scope.DisposeAsync().ConfigureAwait(false);
            run.Fail(new InvalidOperationException("The agent ended without creating a task or replying."));
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the turn the agent left open: completed when it returned, failed when it threw. A turn that
    /// paused the task, or a task that someone else ended, is left as it is; the lease decides.
    /// </summary>
    private async Task FinishTurnAsync(AgentRun run, TaskState state, Message? message)
    {
        try
        {
            await CreateTaskForRunAsync(run, CancellationToken.None).ConfigureAwait(false);
            if (run.Writer.Closed)
            {
                return;
            }

            await run.Writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            var update = StatusDraft(run.TaskId, run.ContextId, state, message);
            await run.Writer.ReportAsync(update, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskAlreadyTerminalException or LeaseLostException or InvalidOperationException)
        {
        }
    }

    // ---- IHeraldTasks ----

    public async ValueTask<AgentTask?> GetTaskAsync(string taskId, int? historyLength = null, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(taskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false))?.Task;

    public async ValueTask<AgentTask> CreateTaskAsync(string? contextId = null, Message? message = null, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString();
        contextId ??= Guid.NewGuid().ToString();
        var task = NewTask(id, contextId, message is null ? null : message with { TaskId = id, ContextId = contextId }, Now());
        await _store.CreateAsync(task, null, cancellationToken).ConfigureAwait(false);
        return task;
    }

    public async ValueTask<TaskEvent> UpdateStatusAsync(string taskId, TaskState state, Message? message = null, CancellationToken cancellationToken = default)
    {
        if (state == TaskState.Unspecified)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "A status update needs a state.");
        }

        var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false) ?? throw A2AException.TaskNotFound(taskId);
        var contextId = snapshot.Task.ContextId ?? "";

        // Stamped like the agent's own status messages and CreateTaskAsync's message: history entries carry their task.
        message = message is null ? null : message with { TaskId = taskId, ContextId = contextId };
        return await AppendStatusAsync(taskId, contextId, state, message, default, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<TaskEvent> AddArtifactAsync(string taskId, Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default)
    {
        var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false) ?? throw A2AException.TaskNotFound(taskId);
        return await _store.AppendAsync(taskId, ArtifactDraft(taskId, snapshot.Task.ContextId ?? "", artifact, append, lastChunk), default, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<TaskEvent> SubscribeAsync(string taskId, long afterSequence = 0, bool stopAtInterrupt = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenStreamAfterAsync(taskId, Math.Max(0, afterSequence), stopAtInterrupt, keepAlives: false, validate: false, cancellationToken).ConfigureAwait(false);
        stream.IncludeHistoryEvents = true;
        var events = new List<TaskEvent>();
        while (true)
        {
            events.Clear();
            var read = await stream.ReadAsync(events, cancellationToken).ConfigureAwait(false);
            if (read == TaskStreamRead.End)
            {
                yield break;
            }

            foreach (var e in events)
            {
                yield return e;
            }
        }
    }

    /// <summary>
    /// A stream of the events after <paramref name="after"/>: a resumed stream. It is over at once when the
    /// client already has the event that ended its stream (the terminal one, or the pause it stopped at).
    /// </summary>
    private async ValueTask<TaskStream> OpenStreamAfterAsync(string taskId, long after, bool stopAtInterrupt, bool keepAlives, bool validate, CancellationToken cancellationToken)
    {
        var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false)
            ?? throw A2AException.TaskNotFound(taskId);
        if (validate && (after < 0 || after > snapshot.Sequence))
        {
            throw A2AException.InvalidParams("Last-Event-ID",
                $"Last-Event-ID {after} is beyond the end of task '{taskId}' (its last event is {snapshot.Sequence}).");
        }

        var state = snapshot.Task.Status.State;
        var completed = after >= snapshot.Sequence && state.IsTerminal();
        if (!completed && stopAtInterrupt && after == snapshot.Sequence && state.IsInterrupted() && after > 0)
        {
            // An interrupted task whose last event is a follow-up message has begun a new turn: only a pause that is
            // the last event ended the client's stream.
            var last = await _store.ReadAsync(taskId, after - 1, 1, cancellationToken).ConfigureAwait(false);
            completed = last is [{ EndsStream: true }];
        }

        return new TaskStream(this, null, taskId, after, stopAtInterrupt, keepAlives, completed);
    }

    // ---- used by AgentContext ----

    internal ValueTask<TaskEvent> AppendStatusAsync(string taskId, string contextId, TaskState state, Message? message, AppendOptions options, CancellationToken cancellationToken) =>
        _store.AppendAsync(taskId, StatusDraft(taskId, contextId, state, message), options, cancellationToken);

    internal TaskEvent StatusDraft(string taskId, string contextId, TaskState state, Message? message)
    {
        var update = new TaskStatusUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Status = new AgentTaskStatus { State = state, Message = message, Timestamp = Now() },
        };
        return CheckSize(TaskEvent.ForStatus(0, update, update.Status.Timestamp!.Value));
    }

    internal TaskEvent ArtifactDraft(string taskId, string contextId, Artifact artifact, bool append, bool lastChunk)
    {
        var update = new TaskArtifactUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Artifact = artifact,
            Append = append ? true : null,
            LastChunk = lastChunk ? true : null,
        };
        return CheckSize(TaskEvent.ForArtifact(0, update, Now()));
    }

    /// <summary>
    /// Refuses an event larger than <see cref="HeraldOptions.MaxEventBytes"/> before it reaches the log: streams never
    /// carry an event that clients would refuse. Serializing here is not extra work: the bytes are cached on the event.
    /// </summary>
    private TaskEvent CheckSize(TaskEvent draft)
    {
        var size = draft.GetV1Json().Length;
        return size <= _options.MaxEventBytes
            ? draft
            : throw new ArgumentException(
                $"The event is {size:N0} bytes, more than the limit of {_options.MaxEventBytes:N0} (HeraldOptions.MaxEventBytes): split the artifact into smaller chunks (append: true).",
                nameof(draft));
    }

    internal async ValueTask CreateTaskForRunAsync(AgentRun run, CancellationToken cancellationToken)
    {
        if (run.TaskExists)
        {
            return;
        }

        await run.CreateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (run.TaskExists)
            {
                return;
            }

            if (run.Replied)
            {
                throw new InvalidOperationException("The agent already answered with a direct message; it cannot also report on a task.");
            }

            var now = Now();
            var task = NewTask(run.TaskId, run.ContextId, run.Message, now);
            TaskEvent created;
            try
            {
                created = await _store.CreateAsync(task, new RunnerLease(run.LeaseOwner, _options.RunnerLeaseDuration), cancellationToken).ConfigureAwait(false);
            }
            catch (TaskAlreadyExistsException)
            {
                // Only a client-chosen id can be taken: another message created that task since this one was accepted.
                run.Fail(A2AException.InvalidParams("message.taskId",
                    $"Task '{run.TaskId}' was created by another message at the same time; send again to continue it once it waits for input."));
                throw;
            }

            run.MarkTaskCreated(new TaskSnapshot(task, created.Sequence));
            run.BeginWatching();
        }
        finally
        {
            run.CreateGate.Release();
        }
    }

    // ---- maintenance ----

    /// <summary>Fails the tasks whose runner lease expired (their runner is gone); returns how many.</summary>
    public async Task<int> RecoverExpiredLeasesAsync(CancellationToken cancellationToken = default)
    {
        var failed = 0;
        while (true)
        {
            var expired = await _store.FindExpiredLeasesAsync(100, cancellationToken).ConfigureAwait(false);
            var progressed = false;
            foreach (var taskId in expired)
            {
                var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false);
                if (snapshot is null)
                {
                    continue;
                }

                var reason = Message.AgentText("The agent running this task stopped before finishing it (the server running it stopped or lost contact with the store).")
                    with { TaskId = taskId, ContextId = snapshot.Task.ContextId };
                var draft = StatusDraft(taskId, snapshot.Task.ContextId ?? "", TaskState.Failed, reason);
                if (await _store.AppendIfLeaseExpiredAsync(taskId, draft, cancellationToken).ConfigureAwait(false) is not null)
                {
                    failed++;
                    progressed = true;
                    Log.LeaseExpired(_logger, taskId);
                }
            }

            if (expired.Count < 100 || !progressed)
            {
                return failed;
            }
        }
    }

    /// <summary>Deletes terminal tasks older than the retention; returns how many.</summary>
    public async Task<int> DeleteExpiredTasksAsync(CancellationToken cancellationToken = default)
    {
        if (_options.TaskRetention is not { } retention || retention == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        var cutoff = _time.GetUtcNow() - retention;
        var deleted = 0;
        while (true)
        {
            var count = await _store.DeleteEndedAsync(cutoff, 1000, cancellationToken).ConfigureAwait(false);
            deleted += count;
            if (count < 1000)
            {
                return deleted;
            }
        }
    }

    // ---- shutdown ----

    /// <summary>
    /// Stops accepting messages, cancels this process's running agents (their tasks end canceled, so
    /// every stream gets a final event), waits a bounded time for them, then lets streams drain: each ends
    /// once it has delivered what is there, and all end by the shutdown timeout, between events.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_runs)
        {
            _shutdown ??= RunShutdownAsync(cancellationToken);
            return _shutdown;
        }
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

    private async Task CancelRunsAsync(CancellationToken cancellationToken)
    {
        var running = _runs.Keys.ToArray();
        if (running.Length == 0)
        {
            return;
        }

        Log.ShuttingDown(_logger, running.Length);
        foreach (var run in running)
        {
            if (run.TaskExists)
            {
                try
                {
                    await AppendStatusAsync(run.TaskId, run.ContextId, TaskState.Canceled,
                        Message.AgentText("The server shut down while this task was running.") with { TaskId = run.TaskId, ContextId = run.ContextId },
                        default, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TaskAlreadyTerminalException or A2AException)
                {
                }
            }

            await run.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(running.Select(r => r.Execution)).WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    public void Dispose()
    {
        _streamsClosing.Dispose();
        _streamsDeadline.Dispose();
    }

    private string NewLeaseOwner() => _options.InstanceId + "/" + Guid.NewGuid().ToString("N");

    private static AgentTask NewTask(string id, string contextId, Message? message, DateTimeOffset now) => new()
    {
        Id = id,
        ContextId = contextId,
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = now },
        History = message is null ? null : [message],
    };

    private DateTimeOffset Now()
    {
        // Millisecond precision, as on the wire: what GetTask returns equals what was streamed.
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static A2AException AcceptsNoMessages(string taskId, TaskState state) =>
        new(A2AErrorCodes.UnsupportedOperation, $"Task '{taskId}' is {state.ToWireName()} and accepts no further messages.");

    private static A2AException TaskIdTaken(string taskId, TaskState state) =>
        A2AException.InvalidParams("message.taskId",
            $"Task '{taskId}' already exists and is {state.ToWireName()}: a new task needs a new id (an existing task takes messages only while it waits for input).");

    private static A2AException NotCancelable(string id, TaskState state) =>
        new(A2AErrorCodes.TaskNotCancelable, $"Task '{id}' is {state.ToWireName()} and cannot be canceled.");
}
