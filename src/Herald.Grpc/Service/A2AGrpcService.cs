using Google.Protobuf;
using Grpc.Core;
using Herald.Grpc.Conversion;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// The A2AService methods on the Herald engine: metadata checked, request converted, engine called, result
/// converted back; <see cref="A2AException"/>s become gRPC statuses with details, anything else an INTERNAL
/// status that reveals nothing of the server. One instance serves every call.
/// </summary>
internal sealed partial class A2AGrpcService(IHeraldEngine engine, ResponseBudget budget, SharedAnswers answers, IOptions<HeraldOptions> options, TimeProvider time, ILogger<A2AGrpcService> logger)
{
    // SendMessage, GetTask, ListTasks and CancelTask are bound as server streams that write their one message
    // (A2AServiceMethods): on the wire a unary answer is the same, and writing it here lets the answer be counted in
    // the response budget until it has left and be cut by the write deadline, as on the HTTP bindings.
    public Task SendMessageAsync(P.SendMessageRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context) =>
        AnswerAsync(context, writer, async ct =>
        {
            var result = await engine.SendMessageAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false);
            return result.Reply is { } reply
                ? new P.SendMessageResponse { Message = ProtoConvert.ToProto(reply) }
                : new P.SendMessageResponse { Task = ToProto(result.Task!.Task, context) };
        });

    public Task GetTaskAsync(P.GetTaskRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context)
    {
        if (request.HasCurrentGeneration)
        {
            // A long-poll waits for the task to change: it takes no turn, and its answer is its own.
            return AnswerAsync(context, writer, async ct => ToProto(await engine.GetTaskAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false), context));
        }

        // Built once for every request that asks for the same answer meanwhile, in a turn of the snapshot gate.
        return SharedAnswerAsync(context, writer, () =>
        {
            var get = Read(request, ProtoConvert.ToModel);
            var caller = CallerOf(context);
            var generation = GrpcServiceParameters.WantsGeneration(context);
            A2AOperation.TagTask(get.Id);
            return (new SharedAnswerKey(get.Id ?? "", get.HistoryLength, generation ? "grpc/v1+generation" : "grpc/v1", get.Tenant, caller), async ct =>
            {
                var snapshot = await SharedAnswers.GetTaskAsync(engine, caller, get, ct).ConfigureAwait(false);
                var task = ProtoConvert.ToProto(snapshot.Task);
                if (!generation)
                {
                    task.Generation = 0;
                }

                return new SharedBody(task.ToByteArray(), snapshot.Sequence);
            });
        });
    }

    public Task ListTasksAsync(P.ListTasksRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context) =>
        AnswerAsync(context, writer, async ct =>
        {
            var list = Read(request, ProtoConvert.ToModel);
            var page = ProtoConvert.ToProto(await engine.ListTasksAsync(CallerOf(context), list, ct).ConfigureAwait(false));
            if (!GrpcServiceParameters.WantsGeneration(context))
            {
                foreach (var task in page.Tasks)
                {
                    task.Generation = 0;
                }
            }

            return page;
        }, gated: true);

    public Task CancelTaskAsync(P.CancelTaskRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context) =>
        AnswerAsync(context, writer, async ct =>
        {
            var cancel = Read(request, ProtoConvert.ToModel);
            return ToProto(await engine.CancelTaskAsync(CallerOf(context), cancel, ct).ConfigureAwait(false), context);
        }, gated: true);

    /// <summary>A task with its A2A 1.1 generation for clients that read it (<see cref="GrpcServiceParameters.WantsGeneration"/>), without it for others.</summary>
    private static P.Task ToProto(AgentTask task, ServerCallContext context)
    {
        var result = ProtoConvert.ToProto(task);
        if (!GrpcServiceParameters.WantsGeneration(context))
        {
            result.Generation = 0;
        }

        return result;
    }

    public Task<P.AgentCard> GetExtendedAgentCardAsync(P.GetExtendedAgentCardRequest request, ServerCallContext context) =>
        UnaryAsync<P.AgentCard>(context, async _ =>
        {
            if (options.Value.ExtendedCard is not { } extended)
            {
                throw new A2AException(A2AErrorCodes.UnsupportedOperation, "This agent has no extended agent card (capabilities.extendedAgentCard is false).");
            }

            if (!await IsAuthenticatedAsync(context.GetHttpContext()).ConfigureAwait(false))
            {
                throw GrpcErrors.ToRpcException(new A2AException(A2AErrorCodes.InvalidRequest,
                    "The extended agent card is for authenticated clients: send credentials for one of the schemes in the agent card's securitySchemes."), StatusCode.Unauthenticated);
            }

            // As configured, with the capabilities Herald serves (the HTTP bindings also fill in the public card's interfaces).
            return ProtoConvert.ToProto(extended with
            {
                Capabilities = extended.Capabilities with { Streaming = true, PushNotifications = false, ExtendedAgentCard = true },
            });
        });

    /// <summary>Authenticated by the default scheme (<c>HttpContext.User</c>) or by any registered scheme.</summary>
    private static async Task<bool> IsAuthenticatedAsync(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return true;
        }

        if (http.RequestServices.GetService(typeof(IAuthenticationSchemeProvider)) is IAuthenticationSchemeProvider schemes)
        {
            foreach (var scheme in await schemes.GetAllSchemesAsync().ConfigureAwait(false))
            {
                if ((await http.AuthenticateAsync(scheme.Name).ConfigureAwait(false)).Succeeded)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // The four push-config methods (FAILED_PRECONDITION PUSH_NOTIFICATION_NOT_SUPPORTED while push notifications are off).
    public Task<P.TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(P.TaskPushNotificationConfig request, ServerCallContext context) =>
        UnaryAsync(context, async ct => ProtoConvert.ToProto(await engine.CreateTaskPushNotificationConfigAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false)));

    public Task<P.TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(P.GetTaskPushNotificationConfigRequest request, ServerCallContext context) =>
        UnaryAsync(context, async ct => ProtoConvert.ToProto(await engine.GetTaskPushNotificationConfigAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false)));

    public Task<P.ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(P.ListTaskPushNotificationConfigsRequest request, ServerCallContext context) =>
        UnaryAsync(context, async ct => ProtoConvert.ToProto(await engine.ListTaskPushNotificationConfigsAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false)));

    public Task<Google.Protobuf.WellKnownTypes.Empty> DeleteTaskPushNotificationConfigAsync(P.DeleteTaskPushNotificationConfigRequest request, ServerCallContext context) =>
        UnaryAsync(context, async ct =>
        {
            await engine.DeleteTaskPushNotificationConfigAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct).ConfigureAwait(false);
            return new Google.Protobuf.WellKnownTypes.Empty();
        });

    public Task SendStreamingMessageAsync(P.SendMessageRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context) =>
        StreamAsync(context, writer, ct => engine.SendStreamingMessageAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), ct));

    public Task SubscribeToTaskAsync(P.SubscribeToTaskRequest request, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context) =>
        StreamAsync(context, writer, ct => engine.SubscribeToTaskAsync(CallerOf(context), Read(request, ProtoConvert.ToModel), GrpcServiceParameters.LastEventId(context), ct));

    private async Task<TResponse> UnaryAsync<TResponse>(ServerCallContext context, Func<CancellationToken, ValueTask<TResponse>> call)
    {
        using var operation = StartOperation(context);
        try
        {
            GrpcServiceParameters.CheckVersion(context);
            return await call(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, context, operation) is { } status)
        {
            throw status;
        }
    }

    /// <summary>
    /// A unary answer written by hand: encoded, its size reserved in the response budget (RESOURCE_EXHAUSTED when there is
    /// no room within the wait), written under the write deadline, and the reservation returned once it has left. A
    /// <paramref name="gated"/> call builds whole tasks: it runs in a turn of the budget's snapshot gate, held until its
    /// bytes are reserved (RESOURCE_EXHAUSTED when no turn comes free within the wait).
    /// </summary>
    private async Task AnswerAsync<TResponse>(ServerCallContext context, IServerStreamWriter<EncodedMessage> writer, Func<CancellationToken, ValueTask<TResponse>> call, bool gated = false)
        where TResponse : IMessage
    {
        using var operation = StartOperation(context);
        try
        {
            GrpcServiceParameters.CheckVersion(context);
            if (gated && !await budget.TryBeginBuildAsync(context.CancellationToken).ConfigureAwait(false))
            {
                throw GrpcErrors.Busy();
            }

            bool reserved;
            byte[] bytes;
            try
            {
                bytes = (await call(context.CancellationToken).ConfigureAwait(false)).ToByteArray();
                reserved = await budget.TryReserveAsync(bytes.Length, context.CancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (gated)
                {
                    budget.EndBuild();
                }
            }

            if (!reserved)
            {
                throw GrpcErrors.Busy();
            }

            try
            {
                using var deadline = GrpcWriteDeadline.Start(context, options.Value, time, logger);
                await GrpcWriteDeadline.WriteAsync(deadline, writer.WriteAsync(new EncodedMessage(bytes))).ConfigureAwait(false);
            }
            finally
            {
                budget.Release(bytes.Length);
            }
        }
        catch (Exception ex) when (Translate(ex, context, operation) is { } status)
        {
            throw status;
        }
    }

    /// <summary>
    /// A unary answer shared with concurrent requests for the same answer (<see cref="SharedAnswers"/>): built and
    /// encoded once for the group, counted once in the response budget, and written by each member under its own deadline.
    /// </summary>
    /// <summary>The caller of a gRPC call: the user of its HTTP request, through the host's <see cref="ICallerResolver"/>.</summary>
    private static Caller CallerOf(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return (http.RequestServices?.GetService(typeof(ICallerResolver)) as ICallerResolver ?? FallbackCallers).Resolve(http.User);
    }

    private static readonly ClaimsCallerResolver FallbackCallers = new();

    private async Task SharedAnswerAsync(ServerCallContext context, IServerStreamWriter<EncodedMessage> writer, Func<(SharedAnswerKey Key, Func<CancellationToken, ValueTask<SharedBody>> Encode)> prepare)
    {
        using var operation = StartOperation(context);
        try
        {
            GrpcServiceParameters.CheckVersion(context);
            var (key, encode) = prepare();
            using var answer = await answers.GetAsync(key, encode, context.CancellationToken, maxBytes: long.MaxValue).ConfigureAwait(false);
            if (answer.Status != SharedAnswerStatus.Ready)
            {
                throw GrpcErrors.Busy();
            }

            using var deadline = GrpcWriteDeadline.Start(context, options.Value, time, logger);
            await GrpcWriteDeadline.WriteAsync(deadline, writer.WriteAsync(new EncodedMessage(answer.Body))).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, context, operation) is { } status)
        {
            throw status;
        }
    }

    private async Task StreamAsync(ServerCallContext context, IServerStreamWriter<EncodedMessage> writer, Func<CancellationToken, ValueTask<TaskStream>> open)
    {
        using var operation = StartOperation(context);
        try
        {
            GrpcServiceParameters.CheckVersion(context);
            var withIds = GrpcServiceParameters.WantsEventIds(context);
            var withGeneration = GrpcServiceParameters.WantsGeneration(context);
            await using var stream = await open(context.CancellationToken).ConfigureAwait(false);
            using var deadline = GrpcWriteDeadline.Start(context, options.Value, time, logger);
            await GrpcStreamWriter.WriteAsync(stream, writer, context, withIds, withGeneration, budget, deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away (or its deadline passed); nothing to answer.
            operation.Canceled();
        }
        catch (Exception ex) when (Translate(ex, context, operation, streaming: true) is { } status)
        {
            throw status;
        }
    }

    /// <summary>The status to end a call with; null for a cancellation gRPC reports by itself.</summary>
    private RpcException? Translate(Exception exception, ServerCallContext context, A2AOperation operation, bool streaming = false)
    {
        switch (exception)
        {
            case RpcException rpc:
                operation.Fail(rpc.StatusCode.ToString(), rpc.Status.Detail);
                return null;
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                operation.Canceled();
                return null;
            case OperationCanceledException when context.GetHttpContext().RequestAborted.IsCancellationRequested:
                operation.Canceled();
                return null;
            case A2AException a2a:
                operation.Fail(a2a);
                return GrpcErrors.ToRpcException(a2a);
            default:
                operation.Fail(exception);
                if (streaming)
                {
                    LogUnhandledStream(logger, context.Method, exception);
                }
                else
                {
                    LogUnhandled(logger, context.Method, exception);
                }

                return GrpcErrors.ToRpcException(new A2AException(A2AErrorCodes.InternalError, "Internal error"));
        }
    }

    /// <summary>The <c>a2a.binding</c> of this service's operations.</summary>
    public const string Binding = "GRPC";

    /// <summary>The call's operation: its method is the last segment of the gRPC method path (the A2A v1.0 name).</summary>
    private A2AOperation StartOperation(ServerCallContext context)
    {
        var path = context.Method;
        var method = path[(path.LastIndexOf('/') + 1)..];
        return A2AOperation.Start(logger, method, Binding, "grpc", GrpcServiceParameters.RequestsV11(context) ? "1.1" : "1.0");
    }

    /// <summary>Converts a request; a message the model cannot hold (a timestamp out of range, say) is the client's error.</summary>
    private static TModel Read<TProto, TModel>(TProto request, Func<TProto, TModel> convert)
    {
        try
        {
            return convert(request);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or System.Text.Json.JsonException)
        {
            throw new A2AException(A2AErrorCodes.InvalidParams, $"The request cannot be read: {ex.Message}");
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Unhandled error in gRPC method {Method}")]
    private static partial void LogUnhandled(ILogger logger, string method, Exception exception);

    /// <summary>The event id of the SSE bindings' "Unhandled error while streaming": one id for the event, whatever the binding.</summary>
    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Unhandled error while streaming ({Method})")]
    private static partial void LogUnhandledStream(ILogger logger, string method, Exception exception);
}
