using Grpc.Core;
using Grpc.Net.Client;
using Herald.Client.Bindings;
using Herald.Grpc.Conversion;
using Herald.Grpc.Methods;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Client.Grpc;

/// <summary>
/// A2A v1.0 over gRPC (spec 10): the <c>A2AService</c> methods of the table shared with the server
/// (<see cref="A2AMethods"/>), called on one channel. Every call carries
/// the service parameters as metadata (<c>a2a-version</c>, <c>a2a-extensions</c>); streams also activate
/// Herald's resumable-streams extension, so each item comes with its event id, and a resumption sends
/// <c>last-event-id</c>. Servers without the extension send no ids: the client then resumes from a snapshot.
/// </summary>
internal sealed class GrpcA2ABinding : A2ABinding
{
    private static readonly Method<P.SendMessageRequest, P.StreamResponse> SendStreamingMessage = A2AMethods.SendStreamingMessage(A2AMethods.StreamResponseMarshaller);
    private static readonly Method<P.SubscribeToTaskRequest, P.StreamResponse> SubscribeToTask = A2AMethods.SubscribeToTask(A2AMethods.StreamResponseMarshaller);

    private readonly CallInvoker _invoker;
    private readonly string? _tenant;
    private readonly string _extensions;
    private readonly Uri _address;
    private readonly Func<AccessTokenRequest, CancellationToken, ValueTask<string?>>? _tokens;

    public GrpcA2ABinding(GrpcChannel channel, Uri address, string? tenant, A2AClientOptions options)
    {
        _invoker = channel.CreateCallInvoker();
        _address = address;
        _tokens = options.AccessTokenProvider;
        _tenant = string.IsNullOrEmpty(tenant) ? null : tenant;
        // Every call activates the resumable-streams extension, as over JSON-RPC and REST: event ids on streams, and A2A 1.1
        // generations on tasks and updates from Herald servers.
        _extensions = string.Join(",", options.Extensions.Append(HeraldExtensionUris.ResumableStreams).Distinct(StringComparer.Ordinal));
    }

    public override async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        var response = await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.SendMessage, null, c, ProtoConvert.ToProto(WithTenant(request))), cancellationToken).ConfigureAwait(false);
        return response.PayloadCase == P.SendMessageResponse.PayloadOneofCase.None
            ? throw new A2AInvalidResponseException("The SendMessage response must hold exactly one of task and message; it holds none.")
            : ProtoConvert.ToModel(response);
    }

    public override Task<A2AEventStream> SendStreamingMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) =>
        OpenStreamAsync(c => _invoker.AsyncServerStreamingCall(SendStreamingMessage, null, c, ProtoConvert.ToProto(WithTenant(request))), null, cancellationToken);

    public override Task<A2AEventStream> SubscribeToTaskAsync(SubscribeToTaskRequest request, string? lastEventId, CancellationToken cancellationToken) =>
        OpenStreamAsync(c => _invoker.AsyncServerStreamingCall(SubscribeToTask, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), lastEventId, cancellationToken);

    public override async Task<AgentTask> GetTaskAsync(GetTaskRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.GetTask, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<ListTasksResponse> ListTasksAsync(ListTasksRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.ListTasks, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<AgentTask> CancelTaskAsync(CancelTaskRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.CancelTask, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<AgentCard> GetExtendedAgentCardAsync(GetExtendedAgentCardRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.GetExtendedAgentCard, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(TaskPushNotificationConfig config, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.CreateTaskPushNotificationConfig, null, c, ProtoConvert.ToProto(config with { Tenant = config.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.GetTaskPushNotificationConfig, null, c, ProtoConvert.ToGetProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override async Task<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken) =>
        ProtoConvert.ToModel(await CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.ListTaskPushNotificationConfigs, null, c, ProtoConvert.ToProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken).ConfigureAwait(false));

    public override Task DeleteTaskPushNotificationConfigAsync(TaskPushNotificationConfigRequest request, CancellationToken cancellationToken) =>
        CallAsync(c => _invoker.AsyncUnaryCall(A2AMethods.DeleteTaskPushNotificationConfig, null, c, ProtoConvert.ToDeleteProto(request with { Tenant = request.Tenant ?? _tenant })), cancellationToken);

    private SendMessageRequest WithTenant(SendMessageRequest request) =>
        _tenant is not null && request.Tenant is null ? request with { Tenant = _tenant } : request;

    private async Task<TResponse> CallAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> start, CancellationToken cancellationToken)
    {
        for (var refresh = false; ; refresh = true)
        {
            using var call = start(new CallOptions(await HeadersAsync(null, refresh, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken));
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                var error = GrpcErrorMapper.Map(ex, inStream: false, cancellationToken);
                if (!refresh && _tokens is not null && error is A2AHttpException { StatusCode: System.Net.HttpStatusCode.Unauthorized })
                {
                    continue; // the token was refused: one more try with a fresh one
                }

                throw error;
            }
        }
    }

    /// <summary>
    /// Starts the call and reads its first item, so that a refusal (an unknown task, say) throws here, as over
    /// JSON-RPC: a refused call is a trailers-only response, whose status shows only once it is read.
    /// </summary>
    private static async Task<A2AEventStream> OpenStreamCoreAsync(AsyncServerStreamingCall<P.StreamResponse> call, CancellationToken cancellationToken)
    {
        try
        {
            return await GrpcEventStream.OpenAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    private async Task<A2AEventStream> OpenStreamAsync(Func<CallOptions, AsyncServerStreamingCall<P.StreamResponse>> start, string? lastEventId, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenStreamCoreAsync(start(new CallOptions(await HeadersAsync(lastEventId, false, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken)), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (A2AHttpException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Unauthorized && _tokens is not null)
        {
            // The token was refused when the stream opened: one more try with a fresh one.
            return await OpenStreamCoreAsync(start(new CallOptions(await HeadersAsync(lastEventId, true, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken)), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>The call's metadata, with <c>authorization: Bearer</c> when a token provider gives a token.</summary>
    private async ValueTask<Metadata> HeadersAsync(string? lastEventId, bool refresh, CancellationToken cancellationToken)
    {
        var headers = Headers(_extensions, lastEventId);
        if (_tokens is not null
            && await _tokens(new AccessTokenRequest { RequestUri = _address, Refresh = refresh }, cancellationToken).ConfigureAwait(false) is { Length: > 0 } token)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        return headers;
    }

    private static Metadata Headers(string? extensions, string? lastEventId)
    {
        var headers = new Metadata { { "a2a-version", "1.0" } };
        if (extensions is not null)
        {
            headers.Add(GrpcEventIds.ExtensionsKey, extensions);
        }

        if (lastEventId is not null)
        {
            headers.Add(GrpcEventIds.LastEventIdKey, lastEventId);
        }

        return headers;
    }
}
