using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// A typed client for one A2A agent. Every call sends <c>A2A-Version</c>; server errors surface as
/// <see cref="A2AException"/> with the server's code and message. Create one with
/// <see cref="A2AClient"/> or <c>services.AddA2AClient(...)</c>. Thread-safe.
/// </summary>
public interface IA2AClient
{
    /// <summary>The interface in use and the agent card it came from; resolves the card on first use.</summary>
    /// <exception cref="A2ANotAnAgentException">No valid agent card at the URL.</exception>
    /// <exception cref="A2AVersionNotSupportedException">No usable interface (e.g. the pinned version is not offered).</exception>
    Task<A2AEndpoint> GetEndpointAsync(CancellationToken cancellationToken = default);

    /// <summary>SendMessage: a task (by default after it reached a terminal or interrupted state) or a direct message.</summary>
    Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// SendStreamingMessage: the task and its updates (or one direct message) until the task reaches a
    /// terminal or interrupted state. A dropped connection is resumed unless
    /// <see cref="A2AClientOptions.AutoResume"/> is off.
    /// </summary>
    IAsyncEnumerable<StreamResponse> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="SendStreamingMessageAsync"/>, with each item's SSE id and resumption notice.</summary>
    IAsyncEnumerable<StreamEvent> SendStreamingMessageEventsAsync(SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>GetTask.</summary>
    Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken = default);

    /// <summary>ListTasks: one page.</summary>
    Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken = default);

    /// <summary>ListTasks over every page, from <see cref="ListTasksRequest.PageToken"/> (or the first) to the last.</summary>
    IAsyncEnumerable<AgentTask> ListAllTasksAsync(ListTasksRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>CancelTask: the task in its canceled state.</summary>
    Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// SubscribeToTask. Without <paramref name="afterEventId"/>: the task snapshot first, then its updates.
    /// With it (sent as <c>Last-Event-ID</c>): only the events after that id, then the live tail - on
    /// servers that support it, such as Herald, also for a task that has finished since.
    /// </summary>
    IAsyncEnumerable<StreamResponse> SubscribeToTaskAsync(SubscribeToTaskRequest request, long? afterEventId = null, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="SubscribeToTaskAsync"/>, with each item's SSE id and resumption notice.</summary>
    IAsyncEnumerable<StreamEvent> SubscribeToTaskEventsAsync(SubscribeToTaskRequest request, long? afterEventId = null, CancellationToken cancellationToken = default);

    /// <summary>GetExtendedAgentCard (authenticate with a <see cref="DelegatingHandler"/>).</summary>
    Task<AgentCard> GetExtendedAgentCardAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers a webhook for a task (v1.0 CreateTaskPushNotificationConfig, v0.3 <c>tasks/pushNotificationConfig/set</c>).</summary>
    Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken = default);

    /// <summary>One webhook of a task (<see cref="TaskPushNotificationConfigRequest.TaskId"/> and, optionally, its <see cref="TaskPushNotificationConfigRequest.Id"/>).</summary>
    Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default);

    /// <summary>The webhooks of a task (over v0.3: one page with every config).</summary>
    Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a webhook of a task.</summary>
    Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default);
}
