using System.Runtime.CompilerServices;
using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Push;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Server.Engine;

/// <summary>
/// Applies A2A semantics on top of the store: the facade bindings (<see cref="IHeraldEngine"/>) and agents'
/// outside helpers (<see cref="IHeraldTasks"/>) call. Every change goes through the task's log; who runs what is
/// decided by the store, not by this process's memory. The jobs live in their own types, which this one owns:
/// <see cref="MessageSender"/>, <see cref="AgentRunner"/>, <see cref="EventDrafts"/>, <see cref="TaskMaintenance"/>
/// and <see cref="EngineShutdown"/>.
/// </summary>
internal sealed class TaskEngine : IHeraldEngine, IHeraldTasks, IDisposable
{
    private readonly TaskStore _store;
    private readonly AgentRegistration? _agent;
    private readonly TimeProvider _time;
    private readonly HeraldOptions _options;
    private readonly ILogger _logger;
    private readonly MessageSender _sender;
    private readonly TaskMaintenance _maintenance;
    private readonly EngineShutdown _shutdown;
    private readonly ITaskAccessPolicy? _accessPolicy;

    public TaskEngine(
        TaskStore store,
        IServiceScopeFactory scopes,
        IOptions<HeraldOptions> options,
        AgentRegistration? agent = null,
        TimeProvider? time = null,
        ILogger<TaskEngine>? logger = null,
        ITaskAccessPolicy? accessPolicy = null,
        IWebhookUrlValidator? webhookUrls = null)
    {
        _store = store;
        _accessPolicy = accessPolicy;
        _agent = agent;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Feeds = new TaskFeeds(store, _logger, _time, _options.WakeupFallbackInterval);
        Drafts = new EventDrafts(_options, _time);
        Runner = new AgentRunner(this, store, Drafts, scopes, agent, _options, _logger);
        _shutdown = new EngineShutdown(store, Drafts, Runner, _options, _time, _logger);
        Claimer = new RunClaimer(this, Runner, _shutdown);
        _sender = new MessageSender(this, store, Drafts, Runner, Claimer, _shutdown, agent, _options);
        _maintenance = new TaskMaintenance(store, Drafts, _options, _time, _logger);
        LeaseRenewal = new RunnerLeaseRenewal(this);
        PushConfigs = new PushConfigOperations(this, store, _options, webhookUrls);
    }

    /// <summary>The push-notification configuration operations.</summary>
    public PushConfigOperations PushConfigs { get; }

    public TaskStore Store => _store;

    public HeraldOptions Options => _options;

    public TimeProvider Time => _time;

    public ILogger Logger => _logger;

    public TaskFeeds Feeds { get; }

    /// <summary>Renews the leases of every run of this process, in one store call per interval.</summary>
    public RunnerLeaseRenewal LeaseRenewal { get; }

    /// <summary>Called with the task id when a long-poll GetTask starts waiting (tests use it to act only once the poll is held).</summary>
    public Action<string>? OnLongPollWaiting { get; set; }

    public EventDrafts Drafts { get; }

    public AgentRunner Runner { get; }

    /// <summary>Claims runs to do recorded in the store while this process has free run slots.</summary>
    public RunClaimer Claimer { get; }

    public bool HasAgent => _agent is not null;

    /// <summary>How the registered agent answers (a task for every message unless it declared otherwise).</summary>
    public AgentResponseMode ResponseMode => _agent?.Mode ?? AgentResponseMode.Task;

    /// <summary>Canceled when shutdown has stopped the runs: streams deliver what is there, then end.</summary>
    public CancellationToken StreamsClosing => _shutdown.StreamsClosing;

    /// <summary>Canceled when shutdown runs out of time: every stream ends at its next event boundary.</summary>
    public CancellationToken StreamsDeadline => _shutdown.StreamsDeadline;

    /// <summary>Number of agent executions in flight in this process.</summary>
    public int RunningCount => Runner.RunningCount;

    // ---- IHeraldEngine: what bindings call ----

    public ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default) =>
        SendMessageAsync(caller, request, SendOptions.Default, cancellationToken);

    public async ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendMessageCoreAsync(caller, request, options, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<SendResult> SendMessageCoreAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var mode = request?.Configuration?.ReturnImmediately == true ? SendMode.Immediate : SendMode.Blocking;
        return await SendAsync(caller, request!, mode, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default) =>
        SendStreamingMessageAsync(caller, request, SendOptions.Default, cancellationToken);

    public async ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendStreamingMessageCoreAsync(caller, request, options, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<TaskStream> SendStreamingMessageCoreAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var start = await SendAsync(caller, request, SendMode.Streaming, options, cancellationToken).ConfigureAwait(false);
        if (start.Reply is { } reply)
        {
            return TaskStream.ForReply(reply);
        }

        var snapshot = start.Task!;
        return new TaskStream(this, snapshot, snapshot.Task.Id, snapshot.Sequence, stopAtInterrupt: true, keepAlives: true,
            completed: snapshot.Task.Status.State.IsTerminal());
    }

    public async ValueTask<AgentTask> GetTaskAsync(Caller caller, GetTaskRequest request, CancellationToken cancellationToken = default) =>
        (await GetTaskSnapshotAsync(caller, request, cancellationToken).ConfigureAwait(false)).Task;

    /// <summary>GetTask, with the log position the answer shows.</summary>
    internal async ValueTask<TaskSnapshot> GetTaskSnapshotAsync(Caller caller, GetTaskRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetTaskCoreAsync(caller, request, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<TaskSnapshot> GetTaskCoreAsync(Caller caller, GetTaskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requester = OwnerFor(caller, request.Tenant);
        var id = RequestValidator.RequireId(request.Id);
        A2AOperation.TagTask(id);
        var historyLength = RequestValidator.HistoryLength(request.HistoryLength);
        var snapshot = Accessible(await _store.GetAsync(id, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false), caller, requester, TaskAccess.Read)
            ?? throw A2AException.TaskNotFound(id);
        if (request.CurrentGeneration is { } current && !Passed(snapshot, current)
            && await WaitForGenerationAsync(id, snapshot.Sequence, current, cancellationToken).ConfigureAwait(false))
        {
            snapshot = await _store.GetAsync(id, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw A2AException.TaskNotFound(id);
        }

        return snapshot;

        // A terminal task's generation never moves again: waiting for it would only hold the connection.
        static bool Passed(TaskSnapshot snapshot, long current) => snapshot.Generation > current || snapshot.Task.Status.State.IsTerminal();
    }

    /// <summary>
    /// The wait of an A2A 1.1 long-poll: follows the task's feed from <paramref name="position"/> (the same wake-ups and shared
    /// reads as streams, holding no thread) until an event takes the generation past <paramref name="current"/> or ends the
    /// task (true), or <see cref="HeraldOptions.LongPollTimeout"/> passes (false: the caller answers with the task as it is).
    /// </summary>
    private async Task<bool> WaitForGenerationAsync(string taskId, long position, long current, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.LongPollTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        using var reader = Feeds.Open(taskId, position);
        try
        {
            while (true)
            {
                var events = await reader.Feed.ReadAsync(position, 256, linked.Token).ConfigureAwait(false);
                foreach (var e in events)
                {
                    if (e.Generation > current || e.IsTerminal)
                    {
                        return true;
                    }

                    position = e.Sequence;
                }

                if (events.Count == 0)
                {
                    OnLongPollWaiting?.Invoke(taskId);
                    await reader.Feed.WaitAsync(position).WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (TaskStoreUnavailableException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask<ListTasksResponse> ListTasksAsync(Caller caller, ListTasksRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ListTasksCoreAsync(caller, request, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<ListTasksResponse> ListTasksCoreAsync(Caller caller, ListTasksRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requester = OwnerFor(caller, request.Tenant);
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

            // Only the caller's own tasks, and a total of only those (spec 13.1); the system caller lists every task.
            Owner = caller.IsSystem ? null : requester,
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

    public async ValueTask<AgentTask> CancelTaskAsync(Caller caller, CancelTaskRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await CancelTaskCoreAsync(caller, request, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<AgentTask> CancelTaskCoreAsync(Caller caller, CancelTaskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requester = OwnerFor(caller, request.Tenant);
        var id = RequestValidator.RequireId(request.Id);
        A2AOperation.TagTask(id);
        var snapshot = Accessible(await _store.GetAsync(id, 0, false, cancellationToken).ConfigureAwait(false), caller, requester, TaskAccess.Cancel)
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

    public async ValueTask<TaskStream> SubscribeToTaskAsync(Caller caller, SubscribeToTaskRequest request, long? lastEventId = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SubscribeToTaskCoreAsync(caller, request, lastEventId, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    private async ValueTask<TaskStream> SubscribeToTaskCoreAsync(Caller caller, SubscribeToTaskRequest request, long? lastEventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requester = OwnerFor(caller, request.Tenant);
        var id = RequestValidator.RequireId(request.Id);
        A2AOperation.TagTask(id);
        if (lastEventId is { } after)
        {
            return await OpenStreamAfterAsync(caller, requester, id, after, stopAtInterrupt: true, keepAlives: true, validate: true, cancellationToken).ConfigureAwait(false);
        }

        var snapshot = Accessible(await _store.GetAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false), caller, requester, TaskAccess.Subscribe)
            ?? throw A2AException.TaskNotFound(id);
        if (snapshot.Task.Status.State.IsTerminal())
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                $"Task '{id}' is {snapshot.Task.Status.State.ToWireName()}; subscribe with Last-Event-ID to replay its events.");
        }

        return new TaskStream(this, snapshot, id, snapshot.Sequence, stopAtInterrupt: true, keepAlives: true, completed: false);
    }

    /// <summary>
    /// What a caller of the engine sees when the store is unavailable: a retryable internal error that says so, without
    /// the provider's details (they go to the log).
    /// </summary>
    private A2AException StoreUnavailable(TaskStoreUnavailableException ex)
    {
        Log.RequestStoreUnavailable(_logger, ex);
        return new A2AException(A2AErrorCodes.InternalError, "The server's task store is temporarily unavailable; try again shortly.");
    }

    // ---- push-notification configurations (PushConfigOperations) ----

    public ValueTask<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfig config, CancellationToken cancellationToken = default) =>
        StoreCall(() => PushConfigs.CreateAsync(caller, config, cancellationToken));

    public ValueTask<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default) =>
        StoreCall(() => PushConfigs.GetAsync(caller, request, cancellationToken));

    public ValueTask<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(Caller caller, ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken = default) =>
        StoreCall(() => PushConfigs.ListAsync(caller, request, cancellationToken));

    public async ValueTask DeleteTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default) =>
        await StoreCall(async () =>
        {
            await PushConfigs.DeleteAsync(caller, request, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>Runs an operation, answering a store outage as every operation does.</summary>
    private async ValueTask<T> StoreCall<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            throw StoreUnavailable(ex);
        }
    }

    // ---- who may do what ----

    /// <summary>
    /// The owner a request acts as: the caller's principal, in the tenant the request names (the REST prefix, the
    /// <c>tenant</c> field), which must agree with the tenant the host assigned to the caller (refused otherwise).
    /// </summary>
    internal static TaskOwner OwnerFor(Caller caller, string? requestTenant)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var tenant = string.IsNullOrEmpty(requestTenant) ? null : requestTenant;
        if (caller.Tenant is { } assigned)
        {
            if (tenant is not null && !string.Equals(tenant, assigned, StringComparison.Ordinal))
            {
                throw A2AException.TenantMismatch(tenant);
            }

            tenant = assigned;
        }

        return TaskOwner.Of(caller.Principal, tenant);
    }

    /// <summary>
    /// <paramref name="snapshot"/> when <paramref name="caller"/> (acting as <paramref name="requester"/>) may do
    /// <paramref name="access"/> to it; null when it does not exist or is another's, which callers answer alike (not found).
    /// </summary>
    internal TaskSnapshot? Accessible(TaskSnapshot? snapshot, Caller caller, TaskOwner requester, TaskAccess access) =>
        snapshot is not null && MayAccess(snapshot.Owner, caller, requester, access) ? snapshot : null;

    internal bool MayAccess(TaskOwner owner, Caller caller, TaskOwner requester, TaskAccess access) =>
        caller.IsSystem || owner == requester || (_accessPolicy?.IsAllowed(caller, owner, access) ?? false);

    // ---- sending (MessageSender) ----

    public Task<SendResult> SendAsync(Caller caller, SendMessageRequest request, SendMode mode, CancellationToken cancellationToken) =>
        _sender.SendAsync(caller, request, mode, SendOptions.Default, cancellationToken);

    public Task<SendResult> SendAsync(Caller caller, SendMessageRequest request, SendMode mode, SendOptions options, CancellationToken cancellationToken) =>
        _sender.SendAsync(caller, request, mode, options, cancellationToken);

    // ---- IHeraldTasks ----

    public async ValueTask<AgentTask?> GetTaskAsync(Caller caller, string taskId, int? historyLength = null, CancellationToken cancellationToken = default) =>
        Accessible(await _store.GetAsync(taskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false), caller, OwnerFor(caller, null), TaskAccess.Read)?.Task;

    public async ValueTask<AgentTask> CreateTaskAsync(Caller caller, string? contextId = null, Message? message = null, CancellationToken cancellationToken = default)
    {
        var owner = OwnerFor(caller, null);
        var id = Guid.NewGuid().ToString();
        contextId ??= Guid.NewGuid().ToString();
        var task = EventDrafts.NewTask(id, contextId, message is null ? null : message with { TaskId = id, ContextId = contextId }, Drafts.Now());
        await _store.CreateAsync(task, null, Telemetry.CaptureTraceContext(), owner, cancellationToken).ConfigureAwait(false);
        return task;
    }

    public async ValueTask<TaskEvent> UpdateStatusAsync(Caller caller, string taskId, TaskState state, Message? message = null, CancellationToken cancellationToken = default)
    {
        if (state == TaskState.Unspecified)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "A status update needs a state.");
        }

        var snapshot = Accessible(await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false), caller, OwnerFor(caller, null), TaskAccess.Continue)
            ?? throw A2AException.TaskNotFound(taskId);
        var contextId = snapshot.Task.ContextId ?? "";

        // Stamped like the agent's own status messages and CreateTaskAsync's message: history entries carry their task.
        message = message is null ? null : message with { TaskId = taskId, ContextId = contextId };
        return await AppendStatusAsync(taskId, contextId, state, message, default, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<TaskEvent> AddArtifactAsync(Caller caller, string taskId, Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default)
    {
        var snapshot = Accessible(await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false), caller, OwnerFor(caller, null), TaskAccess.Continue)
            ?? throw A2AException.TaskNotFound(taskId);
        return await _store.AppendAsync(taskId, Drafts.Artifact(taskId, snapshot.Task.ContextId ?? "", artifact, append, lastChunk), default, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<TaskEvent> SubscribeAsync(Caller caller, string taskId, long afterSequence = 0, bool stopAtInterrupt = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenStreamAfterAsync(caller, OwnerFor(caller, null), taskId, Math.Max(0, afterSequence), stopAtInterrupt, keepAlives: false, validate: false, cancellationToken)
            .ConfigureAwait(false);
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
    private async ValueTask<TaskStream> OpenStreamAfterAsync(
        Caller caller, TaskOwner requester, string taskId, long after, bool stopAtInterrupt, bool keepAlives, bool validate, CancellationToken cancellationToken)
    {
        // Checked before anything about the log is answered: another's task replays nothing and tells nothing (not even its length).
        var snapshot = Accessible(await _store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false), caller, requester, TaskAccess.Subscribe)
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

        return new TaskStream(this, null, taskId, after, stopAtInterrupt, keepAlives, completed, snapshot.TraceContext);
    }

    // ---- used by AgentContext ----

    internal ValueTask<TaskEvent> AppendStatusAsync(string taskId, string contextId, TaskState state, Message? message, AppendOptions options, CancellationToken cancellationToken) =>
        _store.AppendAsync(taskId, Drafts.Status(taskId, contextId, state, message), options, cancellationToken);

    internal TaskEvent StatusDraft(string taskId, string contextId, TaskState state, Message? message) =>
        Drafts.Status(taskId, contextId, state, message);

    internal TaskEvent ArtifactDraft(string taskId, string contextId, Artifact artifact, bool append, bool lastChunk) =>
        Drafts.Artifact(taskId, contextId, artifact, append, lastChunk);

    internal ValueTask CreateTaskForRunAsync(AgentRun run, CancellationToken cancellationToken) =>
        Runner.CreateTaskForRunAsync(run, cancellationToken);

    // ---- maintenance (TaskMaintenance) and shutdown (EngineShutdown), called by the hosted services ----

    /// <summary>Fails the tasks whose runner lease expired (their runner is gone); returns how many.</summary>
    public Task<int> RecoverExpiredLeasesAsync(CancellationToken cancellationToken = default) =>
        _maintenance.RecoverExpiredLeasesAsync(cancellationToken);

    /// <summary>Deletes terminal tasks older than the retention; returns how many.</summary>
    public Task<int> DeleteExpiredTasksAsync(CancellationToken cancellationToken = default) =>
        _maintenance.DeleteExpiredTasksAsync(cancellationToken);

    /// <summary>Stops accepting messages, cancels this process's runs, then lets streams drain (see <see cref="EngineShutdown"/>).</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken) => _shutdown.ShutdownAsync(cancellationToken);

    public void Dispose()
    {
        Claimer.Dispose();
        LeaseRenewal.Dispose();
        _shutdown.Dispose();
    }

    private static A2AException NotCancelable(string id, TaskState state) =>
        new(A2AErrorCodes.TaskNotCancelable, $"Task '{id}' is {state.ToWireName()} and cannot be canceled.");
}
