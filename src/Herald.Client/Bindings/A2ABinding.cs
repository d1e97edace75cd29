using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// A protocol binding implemented outside Herald.Client (gRPC in Herald.Client.Grpc, or one of your own):
/// the A2A operations on one interface of an agent, in terms of the v1.0 model. The client runs everything
/// that does not depend on the wire above it: interface choice, stream resumption and dedupe, paging.
/// Errors the agent reports surface as <see cref="A2AException"/> with the A2A code.
/// </summary>
public abstract class A2ABinding
{
    public abstract Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the stream; an error the agent answers before the first item throws here, as <see cref="A2AException"/>.</summary>
    public abstract Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the stream, after <paramref name="lastEventId"/> when it is set (the resumable-streams extension).</summary>
    public abstract Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken);

    public abstract Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken);

    public abstract Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken);

    public abstract Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken);

    public abstract Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken);

    public abstract Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken);

    public abstract Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken);

    public abstract Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken);

    public abstract Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken);
}
