using System.Globalization;
using System.Text;
using Herald.Client.Sse;
using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// A2A v1.0 over HTTP+JSON/REST (spec 11): <c>POST message:send</c>, <c>POST message:stream</c>,
/// <c>GET tasks/{id}</c>, <c>GET tasks</c> with the filters as query parameters, <c>POST tasks/{id}:cancel</c>,
/// <c>POST tasks/{id}:subscribe</c> (SSE, with <c>Last-Event-ID</c> when resuming), the push config resources
/// and <c>GET extendedAgentCard</c>. The tenant of the card's interface goes in the path.
/// </summary>
internal sealed class RestV1Binding(HttpClient httpClient, Uri endpoint, string? tenant, A2AClientOptions options) : IA2ABinding
{
    private readonly RestTransport _rest = new(httpClient, endpoint, string.IsNullOrEmpty(tenant) ? null : tenant, options);

    public async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        var response = await _rest.SendAsync(HttpMethod.Post, _rest.Path("/message:send"), request, A2AJsonContext.Default.SendMessageRequest,
            A2AJsonContext.Default.SendMessageResponse, cancellationToken).ConfigureAwait(false);
        return (response!.Task is null) == (response.Message is null)
            ? throw new A2AInvalidResponseException("The SendMessage response must hold exactly one of \"task\" and \"message\".")
            : response;
    }

    public Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) =>
        _rest.OpenStreamAsync(_rest.Path("/message:stream"), request, A2AJsonContext.Default.SendMessageRequest, null, cancellationToken);

    public Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken) =>
        _rest.OpenStreamAsync<SubscribeToTaskRequest>(_rest.Path($"/tasks/{Id(request.Id, "id")}:subscribe"), null, null, lastEventId, cancellationToken);

    public async Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken)
    {
        var query = new Query().Add("historyLength", request.HistoryLength).Add("currentGeneration", request.CurrentGeneration);
        var uri = _rest.Path($"/tasks/{Id(request.Id, "id")}" + query);
        return (await _rest.SendAsync<object, AgentTask>(HttpMethod.Get, uri, null, null, A2AJsonContext.Default.AgentTask, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken)
    {
        var query = new Query()
            .Add("contextId", request.ContextId)
            .Add("status", request.Status is { } state and not TaskState.Unspecified ? state.ToWireName() : null)
            .Add("pageSize", request.PageSize)
            .Add("pageToken", request.PageToken)
            .Add("historyLength", request.HistoryLength)
            .Add("statusTimestampAfter", request.StatusTimestampAfter?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Add("includeArtifacts", request.IncludeArtifacts is { } include ? (include ? "true" : "false") : null);
        var uri = _rest.Path("/tasks" + query);
        return (await _rest.SendAsync<object, ListTasksResponse>(HttpMethod.Get, uri, null, null, A2AJsonContext.Default.ListTasksResponse, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken) =>
        (await _rest.SendAsync(HttpMethod.Post, _rest.Path($"/tasks/{Id(request.Id, "id")}:cancel"), request, A2AJsonContext.Default.CancelTaskRequest,
            A2AJsonContext.Default.AgentTask, cancellationToken).ConfigureAwait(false))!;

    public async Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken) =>
        (await _rest.SendAsync<object, AgentCard>(HttpMethod.Get, _rest.Path("/extendedAgentCard"), null, null, A2AJsonContext.Default.AgentCard, cancellationToken).ConfigureAwait(false))!;

    public async Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken) =>
        (await _rest.SendAsync(HttpMethod.Post, _rest.Path($"/tasks/{Id(config.TaskId, "taskId")}/pushNotificationConfigs"), config,
            A2AJsonContext.Default.TaskPushNotificationConfig, A2AJsonContext.Default.TaskPushNotificationConfig, cancellationToken).ConfigureAwait(false))!;

    public async Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        (await _rest.SendAsync<object, TaskPushNotificationConfig>(HttpMethod.Get,
            _rest.Path($"/tasks/{Id(request.TaskId, "taskId")}/pushNotificationConfigs/{Id(request.Id, "id")}"), null, null,
            A2AJsonContext.Default.TaskPushNotificationConfig, cancellationToken).ConfigureAwait(false))!;

    public async Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken)
    {
        var query = new Query().Add("pageSize", request.PageSize).Add("pageToken", request.PageToken);
        var uri = _rest.Path($"/tasks/{Id(request.TaskId, "taskId")}/pushNotificationConfigs" + query);
        return (await _rest.SendAsync<object, ListTaskPushNotificationConfigsResponse>(HttpMethod.Get, uri, null, null,
            A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse, cancellationToken).ConfigureAwait(false))!;
    }

    public Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        _rest.SendAsync<object, object>(HttpMethod.Delete,
            _rest.Path($"/tasks/{Id(request.TaskId, "taskId")}/pushNotificationConfigs/{Id(request.Id, "id")}"), null, null, null, cancellationToken);

    /// <summary>A path parameter, escaped. It cannot be left out: a missing one would address another resource.</summary>
    private static string Id(string? value, string name) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{name} is required to address the resource over HTTP+JSON.", name) : RestTransport.Escape(value);

    /// <summary>A query string of the parameters that are set (spec 11.5: camelCase names, decimal numbers, enum names).</summary>
    private sealed class Query
    {
        private readonly StringBuilder _text = new();

        public Query Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                _text.Append(_text.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }

            return this;
        }

        public Query Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

        public Query Add(string name, long? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

        public override string ToString() => _text.ToString();
    }
}
