using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Herald.Client.Bindings;
using Herald.Client.Internal;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// The client: resolves the card once (lazily, retried after a failure), delegates each operation to
/// the binding, and runs the binding-independent parts - stream resumption, dedupe, paging.
/// </summary>
internal sealed class A2AClientCore : IA2AClient
{
    private readonly HttpClient _httpClient;
    private readonly A2AClientOptions _options;
    private readonly Uri? _agentUrl;
    private readonly Lock _gate = new();
    private volatile Connection? _connection;
    private Task<Connection>? _resolving;

    public A2AClientCore(HttpClient httpClient, Uri agentUrl, A2AClientOptions options)
    {
        _httpClient = httpClient;
        _agentUrl = agentUrl;
        _options = options;
    }

    public A2AClientCore(HttpClient httpClient, A2AEndpoint endpoint, A2AClientOptions options)
    {
        _httpClient = httpClient;
        _options = options;
        _connection = new Connection(endpoint, ProtocolBindings.Create(httpClient, endpoint.Interface, options));
    }

    public async Task<A2AEndpoint> GetEndpointAsync(CancellationToken cancellationToken = default) =>
        (await ConnectAsync(cancellationToken).ConfigureAwait(false)).Endpoint;

    public async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<StreamResponse> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default) =>
        Responses(SendStreamingMessageEventsAsync(request, cancellationToken), cancellationToken);

    public IAsyncEnumerable<StreamEvent> SendStreamingMessageEventsAsync(SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return StreamAsync((binding, ct) => binding.SendStreamingMessageAsync(request, ct), request.Message?.TaskId is { Length: > 0 } id ? id : null, null, cancellationToken);
    }

    public async Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.GetTaskAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.ListTasksAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<AgentTask> ListAllTasksAsync(ListTasksRequest? request = null, CancellationToken cancellationToken = default) =>
        ListAllCoreAsync(request ?? new ListTasksRequest(), cancellationToken);

    public async Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.CancelTaskAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<StreamResponse> SubscribeToTaskAsync(SubscribeToTaskRequest request, long? afterEventId = null, CancellationToken cancellationToken = default) =>
        Responses(SubscribeToTaskEventsAsync(request, afterEventId, cancellationToken), cancellationToken);

    public IAsyncEnumerable<StreamEvent> SubscribeToTaskEventsAsync(SubscribeToTaskRequest request, long? afterEventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Id))
        {
            throw new ArgumentException("The task id is required.", nameof(request));
        }

        if (afterEventId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(afterEventId), "An event id is not negative.");
        }

        var lastEventId = afterEventId?.ToString(CultureInfo.InvariantCulture);
        return StreamAsync((binding, ct) => binding.SubscribeToTaskAsync(request, lastEventId, ct), request.Id, lastEventId, cancellationToken, subscribing: true);
    }

    public async Task<AgentCard> GetExtendedAgentCardAsync(CancellationToken cancellationToken = default)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.GetExtendedAgentCardAsync(new GetExtendedAgentCardRequest(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.CreateTaskPushNotificationConfigAsync(config, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.GetTaskPushNotificationConfigAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.Binding.ListTaskPushNotificationConfigsAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.Binding.DeleteTaskPushNotificationConfigAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves once; concurrent first calls share one resolution, and a failed one is retried by the next call.</summary>
    internal Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } ready)
        {
            return Task.FromResult(ready);
        }

        Task<Connection> resolving;
        lock (_gate)
        {
            if (_resolving is null || _resolving.IsFaulted || _resolving.IsCanceled)
            {
                // Not tied to one caller's token: others may be waiting on it. HttpClient.Timeout bounds it.
                _resolving = ResolveAsync();
            }

            resolving = _resolving;
        }

        return resolving.WaitAsync(cancellationToken);
    }

    private async Task<Connection> ResolveAsync()
    {
        var (card, v03, signature) = await new AgentCardResolver(_httpClient, _options).ResolveBothAsync(_agentUrl!, CancellationToken.None).ConfigureAwait(false);
        var selected = AgentCardResolver.SelectInterface(card, _options);
        var connection = new Connection(new A2AEndpoint(selected, card) { V03Card = v03, CardSignature = signature }, ProtocolBindings.Create(_httpClient, selected, _options));
        _connection = connection;
        return connection;
    }

    private async IAsyncEnumerable<AgentTask> ListAllCoreAsync(ListTasksRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var token = request.PageToken;
        while (true)
        {
            var page = await connection.Binding.ListTasksAsync(request with { PageToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var task in page.Tasks)
            {
                yield return task;
            }

            if (string.IsNullOrEmpty(page.NextPageToken))
            {
                yield break;
            }

            if (page.NextPageToken == token)
            {
                throw new A2AInvalidResponseException($"ListTasks returned the page token it was given ('{token}'); paging would never end.");
            }

            token = page.NextPageToken;
        }
    }

    private static async IAsyncEnumerable<StreamResponse> Responses(IAsyncEnumerable<StreamEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return e.Response;
        }
    }

    /// <summary>
    /// Reads a stream to its end and reconnects it when it drops: SubscribeToTask with
    /// <c>Last-Event-ID</c> (or, against servers without ids, without it - a Task snapshot), exponential
    /// back-off with jitter from the server's <c>retry:</c>, a bounded number of attempts in a row.
    /// Events with an id at or below the last one delivered are skipped, so each is seen once, in order.
    /// A server that answers a resumption with a JSON-RPC error (servers without an event log refuse
    /// <c>Last-Event-ID</c> or a finished task, e.g. with -32004) is asked for the task instead: a task that
    /// has ended is delivered as the last item, one still running is followed without <c>Last-Event-ID</c>.
    /// </summary>
    private async IAsyncEnumerable<StreamEvent> StreamAsync(
        Func<IA2ABinding, CancellationToken, Task<A2AEventStream>> open,
        string? taskId,
        string? lastEventId,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        bool subscribing = false)
    {
        var binding = (await ConnectAsync(cancellationToken).ConfigureAwait(false)).Binding;
        var lastNumericId = ParseId(lastEventId);
        var sentLastEventId = lastEventId is not null;
        var replayRefused = false; // the server refused Last-Event-ID once: resume from snapshots from then on
        var attempts = 0; // reconnection attempts in a row without an event
        var resumeCount = 0;
        TimeSpan? retry = null;
        ResumeInfo? resumed = null;
        A2AException? refusal = null; // a resumption the server answered with an error, to fall back from
        A2AException? fallbackCause = null; // set on the next item delivered after such a fallback
        A2AEventStream? connection = null;
        var generations = new GenerationTracker();
        try
        {
            try
            {
                connection = await open(binding, cancellationToken).ConfigureAwait(false);
            }
            catch (A2AException ex) when (sentLastEventId && taskId is not null && IsRefusal(ex))
            {
                refusal = ex; // the caller's afterEventId was refused
            }

            while (true)
            {
                var eventsOnConnection = 0;
                Exception? failure = null;
                if (connection is { } reading)
                {
                    var isResumption = resumeCount > 0 || sentLastEventId;
                    while (true)
                    {
                        bool more;
                        try
                        {
                            more = await reading.MoveNextAsync().ConfigureAwait(false);
                        }
                        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
                        {
                            failure = ex;
                            break;
                        }
                        catch (A2AStreamErrorException ex) when (isResumption && taskId is not null && IsRefusal(ex))
                        {
                            refusal = ex;
                            break;
                        }
                        catch (A2AInvalidResponseException ex) when ((isResumption || subscribing) && taskId is not null)
                        {
                            // A peer's unreadable or non-standard event on a resumed or subscribed stream (a2a-dotnet
                            // answers SubscribeToTask on a finished task with {"error":"..."}) is treated like a refused
                            // resumption on every binding: the task is asked for instead.
                            refusal = ex;
                            break;
                        }

                        retry = reading.RetryInterval ?? retry;
                        if (!more)
                        {
                            break;
                        }

                        var eventId = reading.CurrentEventId;
                        var id = ParseId(eventId);
                        if (id is { } n && lastNumericId is { } last && n <= last)
                        {
                            continue; // already delivered before the reconnection
                        }

                        eventsOnConnection++;
                        attempts = 0;
                        if (!string.IsNullOrEmpty(eventId) && !replayRefused)
                        {
                            lastEventId = eventId;
                            lastNumericId = id ?? lastNumericId;
                        }

                        var response = reading.Current;
                        taskId ??= TaskIdOf(response);
                        GenerationGap? gap = null;
                        switch (generations.Observe(response))
                        {
                            case GenerationVerdict.Stale:
                                continue; // already in the task fetched after a gap
                            case GenerationVerdict.Gap when taskId is not null:
                                // Updates were missed (A2A 1.1): deliver the task as it is now in their place.
                                var received = response.StatusUpdate?.Generation ?? response.ArtifactUpdate?.Generation ?? 0;
                                gap = new GenerationGap(generations.Last, received);
                                var current = await binding.GetTaskAsync(new GetTaskRequest { Id = taskId }, cancellationToken).ConfigureAwait(false);
                                generations.Reconciled(Math.Max(current.Generation ?? 0, received));
                                response = new StreamResponse { Task = current };
                                break;
                        }

                        var ends = EndsStream(response)
                            || ((gap is not null || resumed is { WithLastEventId: false }) && response.Task is { } snapshot && snapshot.Status.State.EndsStream());
                        var e = new StreamEvent(response, id) { Resumed = resumed, FallbackCause = fallbackCause, Gap = gap };
                        resumed = null;
                        fallbackCause = null;
                        yield return e;
                        if (ends)
                        {
                            yield break;
                        }
                    }

                    retry = reading.RetryInterval ?? retry;
                    connection = null;
                    await reading.DisposeAsync().ConfigureAwait(false);
                }

                if (refusal is not null)
                {
                    // The server cannot resume this stream (no event log, or the task ended): ask for the task.
                    var current = await binding.GetTaskAsync(new GetTaskRequest { Id = taskId }, cancellationToken).ConfigureAwait(false);
                    if (_options.Logger is { } fallbackLog)
                    {
                        Log.ResumeRefused(fallbackLog, taskId!, refusal.Code, refusal.Message, current.Status.State);
                    }

                    if (current.Status.State.EndsStream())
                    {
                        yield return new StreamEvent(new StreamResponse { Task = current }, null) { Resumed = resumed, FallbackCause = refusal };
                        yield break;
                    }

                    if (replayRefused || !sentLastEventId)
                    {
                        // Refused without Last-Event-ID too: nothing else to try.
                        ExceptionDispatchInfo.Throw(refusal);
                    }

                    // Still running: follow it from a snapshot (SubscribeToTask without Last-Event-ID).
                    replayRefused = true;
                    lastEventId = null;
                    fallbackCause = refusal;
                    failure = refusal;
                    refusal = null;
                }
                else
                {
                    // A caller's afterEventId at the very end of a finished task: Herald just closes the stream.
                    // (Not after a reconnection: this client stops at the end, so it never resumes from there.)
                    if (failure is null && eventsOnConnection == 0 && sentLastEventId && resumeCount == 0 && taskId is not null)
                    {
                        var current = await binding.GetTaskAsync(new GetTaskRequest { Id = taskId, HistoryLength = 0 }, cancellationToken).ConfigureAwait(false);
                        if (current.Status.State.IsTerminal())
                        {
                            yield break;
                        }
                    }

                    if (!_options.AutoResume || taskId is null)
                    {
                        throw new A2AStreamEndedException(EndedMessage(failure, taskId), taskId, lastNumericId, 0, failure);
                    }
                }

                // Reconnect.
                while (true)
                {
                    attempts++;
                    if (attempts > _options.MaxResumeAttempts)
                    {
                        if (_options.Logger is { } logger)
                        {
                            Log.GaveUp(logger, taskId!, attempts - 1, failure);
                        }

                        throw new A2AStreamEndedException(
                            $"The stream of task '{taskId}' ended before the task reached a terminal or interrupted state, and {attempts - 1} reconnection attempt(s) failed.",
                            taskId, lastNumericId, attempts - 1, failure);
                    }

                    var delay = fallbackCause is null ? Backoff(attempts, retry) : TimeSpan.Zero; // a refusal is an answer, not an outage
                    if (_options.Logger is { } log)
                    {
                        Log.Reconnecting(log, taskId!, failure?.Message ?? "closed before the end", delay, attempts);
                    }

                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    }

                    sentLastEventId = lastEventId is not null;
                    try
                    {
                        connection = await binding.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, lastEventId, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken) || ex is A2AHttpException { IsTransient: true })
                    {
                        failure = ex;
                    }
                    catch (A2AException ex) when (IsRefusal(ex))
                    {
                        // E.g. servers without event ids refuse SubscribeToTask once the task is terminal: the end happened while away.
                        refusal = ex;
                        break;
                    }
                }

                resumeCount++;
                resumed = new ResumeInfo
                {
                    TaskId = taskId!,
                    WithLastEventId = sentLastEventId,
                    LastEventId = sentLastEventId ? lastEventId : null,
                    Attempt = attempts,
                    ResumeCount = resumeCount,
                    Cause = failure,
                };
                if (_options.Logger is { } resumeLog)
                {
                    Log.Resumed(resumeLog, taskId!, resumed.LastEventId, resumed.WithLastEventId);
                }

                _options.OnResumed?.Invoke(resumed);
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A JSON-RPC error answering a resumption: worth falling back to GetTask. Not an unknown task (GetTask
    /// would say the same) and not an HTTP failure without a JSON-RPC body.
    /// </summary>
    private static bool IsRefusal(A2AException exception) =>
        exception is not (A2AHttpException or A2AInvalidResponseException or A2AResponseTooLargeException or A2AStreamEndedException)
        && exception.Code != A2AErrorCodes.TaskNotFound;

    /// <summary>Exponential from the server's <c>retry:</c> (or the configured base), capped, plus up to 50% jitter - never sooner than the server asked.</summary>
    private TimeSpan Backoff(int attempt, TimeSpan? serverRetry)
    {
        var baseDelay = serverRetry ?? _options.ResumeDelay;
        var ms = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        ms = Math.Min(ms, _options.MaxResumeDelay.TotalMilliseconds);
        ms = Math.Max(ms, serverRetry?.TotalMilliseconds ?? 0);
#pragma warning disable CA5394 // Jitter spreads reconnections; it needs no cryptographic randomness.
        ms *= 1 + (Random.Shared.NextDouble() * 0.5);
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(ms);
    }

    private static string EndedMessage(Exception? failure, string? taskId)
    {
        var what = failure is null
            ? "The server closed the stream before the task reached a terminal or interrupted state"
            : $"The connection dropped before the task reached a terminal or interrupted state ({failure.Message})";
        return taskId is null
            ? what + "; the server had not named the task yet, so the stream cannot be resumed."
            : what + $"; automatic resumption is off. Subscribe to task '{taskId}' to continue.";
    }

    /// <summary>The transport failed (not the protocol): worth reconnecting.</summary>
    private static bool IsConnectionFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is IOException or HttpRequestException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested); // HttpClient.Timeout

    private static long? ParseId(string? eventId) =>
        long.TryParse(eventId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static string? TaskIdOf(StreamResponse response) =>
        response.Task?.Id ?? response.StatusUpdate?.TaskId ?? response.ArtifactUpdate?.TaskId;

    /// <summary>The spec's end of a stream: a message, a terminal task, a terminal or interrupted status update.</summary>
    internal static bool EndsStream(StreamResponse response) =>
        response.Message is not null
        || (response.Task is { } task && task.Status.State.IsTerminal())
        || (response.StatusUpdate is { } update && update.Status.State.EndsStream());

    internal sealed record Connection(A2AEndpoint Endpoint, IA2ABinding Binding);
}
