using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// One wire dialect (binding + protocol version): v1.0 and v0.3 JSON-RPC today; HTTP+JSON plugs in here, and bindings from
/// other assemblies through <see cref="A2ABindingFactory"/> (<see cref="ExternalBinding"/>). Resumption, paging and folding live
/// above it and work for every binding.
/// </summary>
internal interface IA2ABinding
{
    Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the stream; status, content type and a pre-stream error are checked before it returns.</summary>
    Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken);

    Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken);

    Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken);

    Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken);

    Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken);

    Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken);

    Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken);

    Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken);

    Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken);
}
