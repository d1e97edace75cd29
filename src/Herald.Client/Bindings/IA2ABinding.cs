using Herald.Protocol;
using Herald.Client.Sse;

namespace Herald.Client.Bindings;

/// <summary>
/// One wire dialect (binding + protocol version): v1.0 JSON-RPC today; v0.3 JSON-RPC and HTTP+JSON
/// plug in here. Resumption, paging and folding live above it and work for every binding.
/// </summary>
internal interface IA2ABinding
{
    Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Opens the stream; status, content type and a pre-stream error are checked before it returns.</summary>
    Task<SseConnection> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    Task<SseConnection> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken);

    Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken);

    Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken);

    Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken);

    Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken);
}
