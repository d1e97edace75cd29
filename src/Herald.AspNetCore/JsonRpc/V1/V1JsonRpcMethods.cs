using System.Text.Json;
using Herald.AspNetCore.Card;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc.V1;

/// <summary>The A2A v1.0 JSON-RPC methods: params in, engine call, v1.0 result or stream out.</summary>
internal sealed class V1JsonRpcMethods(IHeraldEngine engine, HeraldOptions options, ILogger logger)
{
    public JsonRpcCall Prepare(JsonRpcRequest request)
    {
        var id = request.IdJson;
        switch (request.Method)
        {
            case "SendMessage":
            {
                var send = ParamsReader.Read<SendMessageRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var result = await engine.SendMessageAsync(HttpCaller.Of(context), send, ct).ConfigureAwait(false);
                    var response = result.Reply is { } reply ? new SendMessageResponse { Message = reply } : new SendMessageResponse { Task = TaskFit.ToLimit(context, result.Task!.Task) };
                    await JsonRpcResponses.WriteResultAsync(context, id, GenerationFields.Response(response, GenerationFields.Requested(context.Request)), A2AJsonContext.Default.SendMessageResponse).ConfigureAwait(false);
                });
            }

            case "SendStreamingMessage":
            {
                var send = ParamsReader.Read<SendMessageRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    ResponseLimit.Describe(context, "SendStreamingMessage", send.Message?.TaskId);
                    await using var stream = await engine.SendStreamingMessageAsync(HttpCaller.Of(context), send, ct).ConfigureAwait(false);
                    await StreamAsync(context, id, stream).ConfigureAwait(false);
                });
            }

            case "GetTask":
            {
                var get = ParamsReader.Read<GetTaskRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var caller = HttpCaller.Of(context);
                    ResponseLimit.Describe(context, "GetTask", get.Id);
                    var generation = GenerationFields.Requested(context.Request);
                    if (get.CurrentGeneration is null)
                    {
                        // Built once for every request that asks for the same answer meanwhile, in a turn of the snapshot gate.
                        A2AOperation.TagTask(get.Id);
                        await JsonRpcResponses.WriteSharedResultAsync(context, id, new SharedAnswerKey(get.Id ?? "", get.HistoryLength, generation ? "jsonrpc/v1+generation" : "jsonrpc/v1", get.Tenant, caller),
                            async c =>
                            {
                                var snapshot = await SharedAnswers.GetTaskAsync(engine, caller, get, c).ConfigureAwait(false);
                                var task = GenerationFields.Task(snapshot.Task, generation);
                                return new SharedBody(SharedResults.Encode(json => JsonSerializer.Serialize(json, task, A2AJsonContext.Default.AgentTask)), snapshot.Sequence);
                            }, ct).ConfigureAwait(false);
                        return;
                    }

                    // A long-poll waits for the task to change: it takes no turn, and its answer is its own.
                    var waited = await engine.GetTaskAsync(caller, get, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, GenerationFields.Task(waited, generation), A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
                });
            }

            case "ListTasks":
            {
                var list = ParamsReader.Read<ListTasksRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    ResponseLimit.Describe(context, "ListTasks", null);
                    var page = await ResponseLimit.BuildAsync(context, c => engine.ListTasksAsync(HttpCaller.Of(context), list, c), ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, GenerationFields.Page(page, GenerationFields.Requested(context.Request)), A2AJsonContext.Default.ListTasksResponse).ConfigureAwait(false);
                });
            }

            case "CancelTask":
            {
                var cancel = ParamsReader.Read<CancelTaskRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var task = TaskFit.ToLimit(context, await ResponseLimit.BuildAsync(context, c => engine.CancelTaskAsync(HttpCaller.Of(context), cancel, c), ct).ConfigureAwait(false));
                    await JsonRpcResponses.WriteResultAsync(context, id, GenerationFields.Task(task, GenerationFields.Requested(context.Request)), A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
                });
            }

            case "SubscribeToTask":
            {
                var subscribe = ParamsReader.Read<SubscribeToTaskRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    ResponseLimit.Describe(context, "SubscribeToTask", subscribe.Id);
                    var lastEventId = JsonRpcEndpoint.ParseLastEventId(context.Request);
                    await using var stream = await engine.SubscribeToTaskAsync(HttpCaller.Of(context), subscribe, lastEventId, ct).ConfigureAwait(false);
                    await StreamAsync(context, id, stream).ConfigureAwait(false);
                });
            }

            case "GetExtendedAgentCard":
                if (options.ExtendedCard is null)
                {
                    throw new A2AException(A2AErrorCodes.UnsupportedOperation, "This agent has no extended agent card (capabilities.extendedAgentCard is false).");
                }

                return new DelegateCall(async (context, _) =>
                {
                    var card = await ExtendedCardAccess.GetAsync(context).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, card, A2AJsonContext.Default.AgentCard).ConfigureAwait(false);
                });

            case "CreateTaskPushNotificationConfig":
            {
                var config = ParamsReader.Read<TaskPushNotificationConfig>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var created = await engine.CreateTaskPushNotificationConfigAsync(HttpCaller.Of(context), config, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, created, A2AJsonContext.Default.TaskPushNotificationConfig).ConfigureAwait(false);
                });
            }

            case "GetTaskPushNotificationConfig":
            {
                var get = ParamsReader.Read<TaskPushNotificationConfigRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var config = await engine.GetTaskPushNotificationConfigAsync(HttpCaller.Of(context), get, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, config, A2AJsonContext.Default.TaskPushNotificationConfig).ConfigureAwait(false);
                });
            }

            case "ListTaskPushNotificationConfigs":
            {
                var list = ParamsReader.Read<ListTaskPushNotificationConfigsRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var configs = await engine.ListTaskPushNotificationConfigsAsync(HttpCaller.Of(context), list, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, configs, A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse).ConfigureAwait(false);
                });
            }

            case "DeleteTaskPushNotificationConfig":
            {
                var delete = ParamsReader.Read<TaskPushNotificationConfigRequest>(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    await engine.DeleteTaskPushNotificationConfigAsync(HttpCaller.Of(context), delete, ct).ConfigureAwait(false);

                    // google.protobuf.Empty in ProtoJSON.
                    await JsonRpcResponses.WriteResultAsync(context, id, new System.Text.Json.Nodes.JsonObject()).ConfigureAwait(false);
                });
            }

            default:
                throw new A2AException(A2AErrorCodes.MethodNotFound, $"Method '{JsonRpcEndpoint.Truncate(request.Method)}' was not found.");
        }
    }

    private Task StreamAsync(HttpContext context, byte[] id, TaskStream stream) =>
        JsonRpcStreams.WriteAsync(context, id, stream, V1StreamFormats.For(options, GenerationFields.Requested(context.Request)), options, logger);
}
