using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>A binding from an <see cref="A2ABindingFactory"/>, seen by the client core as its own.</summary>
internal sealed class ExternalBinding(A2ABinding binding) : IA2ABinding
{
    public Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) => binding.SendMessageAsync(request, cancellationToken);

    public Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) => binding.SendStreamingMessageAsync(request, cancellationToken);

    public Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken) =>
        binding.SubscribeToTaskAsync(request, lastEventId, cancellationToken);

    public Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken) => binding.GetTaskAsync(request, cancellationToken);

    public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken) => binding.ListTasksAsync(request, cancellationToken);

    public Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken) => binding.CancelTaskAsync(request, cancellationToken);

    public Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken) => binding.GetExtendedAgentCardAsync(request, cancellationToken);

    public Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken) =>
        binding.CreateTaskPushNotificationConfigAsync(config, cancellationToken);

    public Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        binding.GetTaskPushNotificationConfigAsync(request, cancellationToken);

    public Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken) =>
        binding.ListTaskPushNotificationConfigsAsync(request, cancellationToken);

    public Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        binding.DeleteTaskPushNotificationConfigAsync(request, cancellationToken);
}
