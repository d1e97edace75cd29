using Herald.Client.Sse;
using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.Client.Bindings;

/// <summary>
/// A2A v0.3 over JSON-RPC 2.0: <c>message/send</c>, <c>message/stream</c>, <c>tasks/get</c>, ... with
/// <c>kind</c>-discriminated results. Requests and results are mapped from and to the v1.0 records
/// (<see cref="V03Mapping"/>), so callers see the same typed API and the same streams as over v1.0.
/// </summary>
internal sealed class JsonRpcV03Binding(HttpClient httpClient, Uri endpoint, A2AClientOptions options) : IA2ABinding
{
    private readonly JsonRpcTransport _rpc = new(httpClient, endpoint, ProtocolVersions.V03, options);

    public async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        var result = await _rpc.CallAsync(V03Methods.SendMessage, ToParams(request), V03JsonContext.Default.V03MessageSendParams,
            V03JsonContext.Default.V03Result, cancellationToken).ConfigureAwait(false);
        return result is V03Task or V03Message
            ? Mapped(() => V03Mapping.ToSendMessageResponse(result))
            : throw new A2AInvalidResponseException($"The message/send result must be a task or a message, not \"{result.Kind}\".");
    }

    public Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) =>
        _rpc.OpenStreamAsync(V03Methods.SendStreamingMessage, ToParams(request), V03JsonContext.Default.V03MessageSendParams, null, ParseEvent, cancellationToken);

    public Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken) =>
        _rpc.OpenStreamAsync(V03Methods.Resubscribe, V03Mapping.ToV03(request), V03JsonContext.Default.V03TaskIdParams, lastEventId, ParseEvent, cancellationToken);

    public async Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken)
    {
        var task = await _rpc.CallAsync(V03Methods.GetTask, V03Mapping.ToV03(request), V03JsonContext.Default.V03TaskQueryParams,
            V03JsonContext.Default.V03Task, cancellationToken).ConfigureAwait(false);
        return Mapped(() => V03Mapping.ToV1(task));
    }

    public Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken) =>
        throw new A2AException(A2AErrorCodes.UnsupportedOperation,
            "ListTasks is not part of A2A v0.3 (the agent's interface speaks v0.3 JSON-RPC, which has no tasks/list).");

    public async Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken)
    {
        var task = await _rpc.CallAsync(V03Methods.CancelTask, V03Mapping.ToV03(request), V03JsonContext.Default.V03TaskIdParams,
            V03JsonContext.Default.V03Task, cancellationToken).ConfigureAwait(false);
        return Mapped(() => V03Mapping.ToV1(task));
    }

    public async Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken)
    {
        var card = await _rpc.CallAsync(V03Methods.GetAuthenticatedExtendedCard, EmptyParams.Instance, ClientJsonContext.Default.EmptyParams,
            V03JsonContext.Default.V03AgentCard, cancellationToken).ConfigureAwait(false);
        return Mapped(() => V03Mapping.ToV1(card));
    }

    public async Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken)
    {
        var result = await _rpc.CallAsync(V03Methods.SetPushNotificationConfig, V03Mapping.ToV03(config), V03JsonContext.Default.V03TaskPushNotificationConfig,
            V03JsonContext.Default.V03TaskPushNotificationConfig, cancellationToken).ConfigureAwait(false);
        return V03Mapping.ToV1(result);
    }

    public async Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken)
    {
        var result = await _rpc.CallAsync(V03Methods.GetPushNotificationConfig, V03Mapping.ToV03Get(request), V03JsonContext.Default.V03GetTaskPushNotificationConfigParams,
            V03JsonContext.Default.V03TaskPushNotificationConfig, cancellationToken).ConfigureAwait(false);
        return V03Mapping.ToV1(result);
    }

    public async Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken)
    {
        var result = await _rpc.CallAsync(V03Methods.ListPushNotificationConfigs, V03Mapping.ToV03(request), V03JsonContext.Default.V03ListTaskPushNotificationConfigParams,
            V03JsonContext.Default.IReadOnlyListV03TaskPushNotificationConfig, cancellationToken).ConfigureAwait(false);
        return new ListTaskPushNotificationConfigsResponse { Configs = [.. result.Select(V03Mapping.ToV1)] };
    }

    public async Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        await _rpc.CallAsync(V03Methods.DeletePushNotificationConfig, V03Mapping.ToV03Delete(request), V03JsonContext.Default.V03DeleteTaskPushNotificationConfigParams,
            V03JsonContext.Default.JsonElement, cancellationToken).ConfigureAwait(false);

    private static V03MessageSendParams ToParams(SendMessageRequest request) =>
        request.Message is null ? throw new ArgumentException("The request has no message.", nameof(request)) : V03Mapping.ToV03(request);

    private static StreamResponse ParseEvent(ReadOnlySpan<byte> data, long id)
    {
        var result = JsonRpcEnvelope.ReadResult(data, id, V03JsonContext.Default.V03Result, inStream: true);
        return Mapped(() => V03Mapping.ToV1(result));
    }

    /// <summary>A result the mapping cannot take (e.g. a file part whose bytes are not base64) is the agent's fault.</summary>
    private static T Mapped<T>(Func<T> map)
    {
        try
        {
            return map();
        }
        catch (Exception ex) when (ex is A2AException or ArgumentException)
        {
            throw new A2AInvalidResponseException($"The agent's v0.3 result cannot be read: {ex.Message}", ex);
        }
    }
}
