using Herald.Client.Sse;
using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// A2A v1.0 over JSON-RPC 2.0 (spec 9): one POST endpoint, PascalCase methods, ProtoJSON params,
/// SSE streams whose data lines are JSON-RPC responses carrying the request's id.
/// </summary>
internal sealed class JsonRpcV1Binding(HttpClient httpClient, Uri endpoint, string? tenant, A2AClientOptions options) : IA2ABinding
{
    private readonly JsonRpcTransport _rpc = new(httpClient, endpoint, ProtocolVersions.V1, options);
    private readonly string? _tenant = string.IsNullOrEmpty(tenant) ? null : tenant;

    public async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        var response = await _rpc.CallAsync("SendMessage", WithTenant(request), A2AJsonContext.Default.SendMessageRequest,
            A2AJsonContext.Default.SendMessageResponse, cancellationToken).ConfigureAwait(false);
        if ((response.Task is null) == (response.Message is null))
        {
            throw new A2AInvalidResponseException("The SendMessage result must hold exactly one of \"task\" and \"message\".");
        }

        return response;
    }

    public Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) =>
        _rpc.OpenStreamAsync("SendStreamingMessage", WithTenant(request), A2AJsonContext.Default.SendMessageRequest, null, ParseEvent, cancellationToken);

    public Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken) =>
        _rpc.OpenStreamAsync("SubscribeToTask", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.SubscribeToTaskRequest, lastEventId, ParseEvent, cancellationToken);

    public Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("GetTask", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.GetTaskRequest, A2AJsonContext.Default.AgentTask, cancellationToken);

    public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("ListTasks", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.ListTasksRequest, A2AJsonContext.Default.ListTasksResponse, cancellationToken);

    public Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("CancelTask", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.CancelTaskRequest, A2AJsonContext.Default.AgentTask, cancellationToken);

    public Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("GetExtendedAgentCard", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.GetExtendedAgentCardRequest, A2AJsonContext.Default.AgentCard, cancellationToken);

    public Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken) =>
        _rpc.CallAsync("CreateTaskPushNotificationConfig", _tenant is not null && config.Tenant is null ? config with { Tenant = _tenant } : config,
            A2AJsonContext.Default.TaskPushNotificationConfig, A2AJsonContext.Default.TaskPushNotificationConfig, cancellationToken);

    public Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("GetTaskPushNotificationConfig", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.TaskPushNotificationConfigRequest, A2AJsonContext.Default.TaskPushNotificationConfig, cancellationToken);

    public Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("ListTaskPushNotificationConfigs", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.ListTaskPushNotificationConfigsRequest, A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse, cancellationToken);

    public Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        _rpc.CallAsync("DeleteTaskPushNotificationConfig", _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request,
            A2AJsonContext.Default.TaskPushNotificationConfigRequest, A2AJsonContext.Default.JsonElement, cancellationToken);

    private SendMessageRequest WithTenant(SendMessageRequest request) =>
        _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request;

    private static StreamResponse ParseEvent(ReadOnlySpan<byte> data, long id)
    {
        StreamResponse item;
        try
        {
            item = JsonRpcEnvelope.ReadResult(data, id, A2AJsonContext.Default.StreamResponse, inStream: true);
        }
        catch (A2AInvalidResponseException ex)
        {
            // Quote the event: a peer's non-standard one ({"error":"..."}) says what went wrong.
            throw new A2AInvalidResponseException($"{ex.Message} The event: {JsonRpcTransport.Excerpt(data)}", ex.InnerException ?? ex);
        }

        var count = (item.Task is null ? 0 : 1) + (item.Message is null ? 0 : 1) + (item.StatusUpdate is null ? 0 : 1) + (item.ArtifactUpdate is null ? 0 : 1);
        return count == 1
            ? item
            : throw new A2AInvalidResponseException($"A stream event must hold exactly one of task, message, statusUpdate and artifactUpdate; it holds {count}: {JsonRpcTransport.Excerpt(data)}");
    }
}
