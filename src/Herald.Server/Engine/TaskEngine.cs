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

    /// <summary>Answer with the task as of creation; the caller streams the events after it.</summary>
    Streaming,
}

/// <summary>
/// Applies A2A semantics on top of the store: creates and continues tasks, runs agents in the
/// background, cancels, lists. Every change goes through the task's log.
/// </summary>
internal sealed class TaskEngine : IHeraldTasks, IDisposable
{
    private const int ReadBatch = 256;

    private readonly TaskStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly AgentFactory? _agentFactory;
    private readonly TimeProvider _time;
    private readonly HeraldOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (AgentRun Run, Task Execution)> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _streamsClosing = new();
    private volatile bool _stopping;

    public TaskEngine(
        TaskStore store,
        IServiceScopeFactory scopes,
        IOptions<HeraldOptions> options,
        AgentFactory? agentFactory = null,
        TimeProvider? time = null,
        ILogger<TaskEngine>? logger = null)
    {
        _store = store;
        _scopes = scopes;
        _agentFactory = agentFactory;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public TaskStore Store => _store;

    public HeraldOptions Options => _options;

    public TimeProvider Time => _time;

    /// <summary>True when an agent is registered to handle messages.</summary>
    public bool HasAgent => _agentFactory is not null;

    /// <summary>
    /// Canceled at the end of shutdown, after running tasks were marked canceled: open streams first
    /// deliver those events, then close.
    /// </summary>
    public CancellationToken StreamsClosing => _streamsClosing.Token;

    /// <summary>Number of agent executions in flight.</summary>
    public int RunningCount => _runs.Count;

    public async Task<RunStart> SendAsync(SendMessageRequest request, SendMode mode, CancellationToken cancellationToken)
    {
        var message = RequestValidator.ValidateSend(request);
        if (_stopping)
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation, "The server is shutting down and accepts no new messages.");
        }

        AgentRun run;
        if (message.TaskId is { Length: > 0 } taskId)
        {
            while (true)
            {
                var existing = await _store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false)
                    ?? throw A2AException.TaskNotFound(taskId);
                var state = existing.Task.Status.State;
                if (state.IsTerminal())
                {
                    throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                        $"Task '{taskId}' is {state.ToWireName()} and accepts no further messages.");
                }

                var contextId = existing.Task.ContextId ?? "";
                if (message.ContextId is { Length: > 0 } given && given != contextId)
                {
                    throw A2AException.InvalidParams("message.contextId", $"message.contextId '{given}' does not match task '{taskId}' (context '{contextId}').");
                }

                message = message with { TaskId = taskId, ContextId = contextId };
                run = new AgentRun(taskId, contextId, message, request, existing.Task);
                if (TryRegister(run))
                {
                    break;
                }

                run.Dispose();
                if (_runs.TryGetValue(taskId, out var previous))
                {
                    if (!state.IsInterrupted())
                    {
                        throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                            $"Task '{taskId}' is still being worked on; send the next message once it asks for input.");
                    }

                    // The previous turn asked for input and is still returning: a client that answers at once
                    // waits for it to leave instead of being refused, then everything is checked again.
                    await previous.Run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            try
            {
                await _store.AppendAsync(taskId, TaskEvent.ForMessage(0, message, Now()), cancellationToken).ConfigureAwait(false);
                var snapshot = await _store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false);

                // The snapshot's own sequence: it was read after the append, so it includes the message, and if
                // anything else was appended meanwhile it includes that too (a stream from it must not repeat it).
                run.MarkTaskCreated(snapshot!);
            }
            catch (Exception ex)
            {
                // The agent never starts: release the registration (and anyone waiting for it) here.
                Unregister(run);
                run.MarkFinished();
                run.Dispose();
                if (ex is TaskAlreadyTerminalException terminal)
                {
                    // Ended (e.g. canceled) between the check above and the append.
                    throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                        $"Task '{taskId}' is {terminal.State.ToWireName()} and accepts no further messages.", ex);
                }

                throw;
            }
        }
        else
        {
            var contextId = message.ContextId is { Length: > 0 } c ? c : Guid.NewGuid().ToString();
            var newTaskId = Guid.NewGuid().ToString();
            message = message with { TaskId = newTaskId, ContextId = contextId };
            run = new AgentRun(newTaskId, contextId, message, request, null);
            TryRegister(run);
        }

        var execution = Task.Run(() => ExecuteAsync(run), CancellationToken.None);

        // Only if the run is still registered: a fast agent may already have finished and left.
        _runs.TryUpdate(run.TaskId, (run, execution), (run, Task.CompletedTask));

        var start = await run.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (start.Reply is not null || mode == SendMode.Streaming)
        {
            return start;
        }

        var historyLength = request.Configuration?.HistoryLength;
        if (mode == SendMode.Blocking)
        {
            await foreach (var _ in SubscribeAsync(run.TaskId, start.Task!.Sequence, stopAtInterrupt: true, cancellationToken).ConfigureAwait(false))
            {
            }
        }

        var current = await _store.GetAsync(run.TaskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new RunStart(null, current);
    }

    public async ValueTask<AgentTask> GetAsync(GetTaskRequest request, CancellationToken cancellationToken)
    {
        var id = RequestValidator.RequireId(request.Id);
        var historyLength = RequestValidator.HistoryLength(request.HistoryLength);
        var snapshot = await _store.GetAsync(id, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false);
        return snapshot?.Task ?? throw A2AException.TaskNotFound(id);
    }

    public async ValueTask<ListTasksResponse> ListAsync(ListTasksRequest request, CancellationToken cancellationToken)
    {
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

    public async ValueTask<AgentTask> CancelAsync(CancelTaskRequest request, CancellationToken cancellationToken)
    {
        var id = RequestValidator.RequireId(request.Id);
        var snapshot = await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false)
            ?? throw A2AException.TaskNotFound(id);
        if (snapshot.Task.Status.State.IsTerminal())
        {
            throw NotCancelable(id, snapshot.Task.Status.State);
        }

        try
        {
            await AppendStatusAsync(id, snapshot.Task.ContextId ?? "", TaskState.Canceled, null, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskAlreadyTerminalException ex)
        {
            throw NotCancelable(id, ex.State);
        }

        // The canceled event is in the log first, so whatever the agent does next is refused.
        if (_runs.TryGetValue(id, out var entry))
        {
            await entry.Run.CancelAsync().ConfigureAwait(false);
        }

        Log.TaskCanceled(_logger, id);
        var after = await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return after!.Task;
    }

    /// <summary>Checks a SubscribeToTask request and returns where the stream starts.</summary>
    public async ValueTask<TaskSnapshot> PrepareSubscribeAsync(SubscribeToTaskRequest request, long? lastEventId, CancellationToken cancellationToken)
    {
        var id = RequestValidator.RequireId(request.Id);
        var snapshot = await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false)
            ?? throw A2AException.TaskNotFound(id);
        if (lastEventId is { } after)
        {
            if (after < 0 || after > snapshot.Sequence)
            {
                throw A2AException.InvalidParams("Last-Event-ID",
                    $"Last-Event-ID {after} is beyond the end of task '{id}' (its last event is {snapshot.Sequence}).");
            }

            return snapshot;
        }

        if (snapshot.Task.Status.State.IsTerminal())
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                $"Task '{id}' is {snapshot.Task.Status.State.ToWireName()}; subscribe with Last-Event-ID to replay its events.");
        }

        return snapshot;
    }

    // ---- IHeraldTasks ----

    public async ValueTask<AgentTask?> GetTaskAsync(string taskId, int? historyLength = null, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(taskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false))?.Task;

    public async ValueTask<AgentTask> CreateTaskAsync(string? contextId = null, Message? message = null, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString();
        contextId ??= Guid.NewGuid().ToString();
        var task = NewTask(id, contextId, message is null ? null : message with { TaskId = id, ContextId = contextId });
        await _store.CreateAsync(task, cancellationToken).ConfigureAwait(false);
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
        return await AppendStatusAsync(taskId, contextId, state, message, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<TaskEvent> AddArtifactAsync(string taskId, Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default)
    {
        var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false) ?? throw A2AException.TaskNotFound(taskId);
        return await AppendArtifactAsync(taskId, snapshot.Task.ContextId ?? "", artifact, append, lastChunk, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<TaskEvent> SubscribeAsync(string taskId, long afterSequence = 0, bool stopAtInterrupt = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var position = afterSequence;
        var endChecked = false;
        while (true)
        {
            var batch = await _store.ReadAsync(taskId, position, ReadBatch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                // Starting at or after the terminal event (a client resuming with the terminal event's id):
                // nothing will ever follow, so end instead of waiting forever. Once events have been yielded,
                // the terminal one is seen in a batch, so this check is needed only before the first.
                if (!endChecked)
                {
                    endChecked = true;
                    var snapshot = await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false);
                    if (snapshot is not null && snapshot.Sequence <= position && snapshot.Task.Status.State.IsTerminal())
                    {
                        yield break;
                    }
                }

                await _store.WaitForEventsAsync(taskId, position, cancellationToken).ConfigureAwait(false);
                continue;
            }

            endChecked = true;

            foreach (var e in batch)
            {
                position = e.Sequence;
                yield return e;
                if (e.StatusUpdate is { } update && (update.Status.State.IsTerminal() || (stopAtInterrupt && update.Status.State.IsInterrupted())))
                {
                    yield break;
                }
            }
        }
    }

    // ---- used by AgentContext ----

    internal ValueTask<TaskEvent> AppendStatusAsync(string taskId, string contextId, TaskState state, Message? message, CancellationToken cancellationToken)
    {
        var update = new TaskStatusUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Status = new AgentTaskStatus { State = state, Message = message, Timestamp = Now() },
        };
        return _store.AppendAsync(taskId, TaskEvent.ForStatus(0, update, update.Status.Timestamp!.Value), cancellationToken);
    }

    internal ValueTask<TaskEvent> AppendArtifactAsync(string taskId, string contextId, Artifact artifact, bool append, bool lastChunk, CancellationToken cancellationToken)
    {
        var update = new TaskArtifactUpdateEvent
        {
            TaskId = taskId,
            ContextId = contextId,
            Artifact = artifact,
            Append = append ? true : null,
            LastChunk = lastChunk ? true : null,
        };
        return _store.AppendAsync(taskId, TaskEvent.ForArtifact(0, update, Now()), cancellationToken);
    }

    internal async ValueTask CreateTaskForRunAsync(AgentRun run, CancellationToken cancellationToken)
    {
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

            var task = NewTask(run.TaskId, run.ContextId, run.Message);
            var created = await _store.CreateAsync(task, cancellationToken).ConfigureAwait(false);
            run.MarkTaskCreated(new TaskSnapshot(task, created.Sequence));
        }
        finally
        {
            run.CreateGate.Release();
        }
    }

    /// <summary>Cancels every running agent and marks its task canceled; waits a bounded time for agents to return.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
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
        var running = _runs.Values.ToArray();
        if (running.Length == 0)
        {
            return;
        }

        Log.ShuttingDown(_logger, running.Length);
        foreach (var (run, _) in running)
        {
            if (run.TaskExists)
            {
                try
                {
                    await AppendStatusAsync(run.TaskId, run.ContextId, TaskState.Canceled,
                        Message.AgentText("The server shut down while this task was running."), CancellationToken.None).ConfigureAwait(false);
                }
                catch (TaskAlreadyTerminalException)
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

    private async Task ExecuteAsync(AgentRun run)
    {
        var token = run.Cancellation.Token;
        var scope = _scopes.CreateAsyncScope();
        try
        {
            var context = new AgentContext(this, run);
            try
            {
                var agent = (_agentFactory ?? throw new InvalidOperationException("No agent is registered: call services.AddHerald().AddAgent<TAgent>()."))(scope.ServiceProvider);
                await agent.ExecuteAsync(context, token).ConfigureAwait(false);
                if (!run.Replied)
                {
                    await CompleteIfOpenAsync(run).ConfigureAwait(false);
                }
            }
            catch (TaskAlreadyTerminalException)
            {
                // Canceled (or ended from outside) while the agent was still reporting.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Log.AgentFailed(_logger, run.TaskId, ex);
                if (!run.Replied)
                {
                    await FailSafelyAsync(run).ConfigureAwait(false);
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
            Unregister(run);
            run.MarkFinished();
            await scope.DisposeAsync().ConfigureAwait(false);
            run.Fail(new InvalidOperationException("The agent ended without creating a task or replying."));
            run.Dispose();
        }
    }

    private async Task CompleteIfOpenAsync(AgentRun run)
    {
        await CreateTaskForRunAsync(run, CancellationToken.None).ConfigureAwait(false);
        var snapshot = await _store.GetAsync(run.TaskId, 0, false).ConfigureAwait(false);
        // On a follow-up turn the task is still interrupted from the previous turn: only an interrupt this
        // run reported keeps it open, otherwise a turn that just returns would leave it (and a blocking sender) hanging.
        var state = snapshot?.Task.Status.State ?? TaskState.Unspecified;
        if (snapshot is not null && !state.IsTerminal() && !(state.IsInterrupted() && run.ReachedInterrupt))
        {
            await AppendStatusAsync(run.TaskId, run.ContextId, TaskState.Completed, null, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task FailSafelyAsync(AgentRun run)
    {
        try
        {
            await CreateTaskForRunAsync(run, CancellationToken.None).ConfigureAwait(false);
            await AppendStatusAsync(run.TaskId, run.ContextId, TaskState.Failed,
                Message.AgentText("The agent failed with an internal error."), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TaskAlreadyTerminalException)
        {
        }
    }

    public void Dispose() => _streamsClosing.Dispose();

    private bool TryRegister(AgentRun run) => _runs.TryAdd(run.TaskId, (run, Task.CompletedTask));

    private void Unregister(AgentRun run)
    {
        if (_runs.TryGetValue(run.TaskId, out var entry) && ReferenceEquals(entry.Run, run))
        {
            _runs.TryRemove(new KeyValuePair<string, (AgentRun, Task)>(run.TaskId, entry));
        }
    }

    private AgentTask NewTask(string id, string contextId, Message? message) => new()
    {
        Id = id,
        ContextId = contextId,
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = Now() },
        History = message is null ? null : [message],
    };

    private DateTimeOffset Now()
    {
        // Millisecond precision, as on the wire: what GetTask returns equals what was streamed.
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static A2AException NotCancelable(string id, TaskState state) =>
        new(A2AErrorCodes.TaskNotCancelable, $"Task '{id}' is {state.ToWireName()} and cannot be canceled.");
}

/// <summary>Creates the agent for one execution, from that execution's service scope.</summary>
internal delegate IAgent AgentFactory(IServiceProvider services);
