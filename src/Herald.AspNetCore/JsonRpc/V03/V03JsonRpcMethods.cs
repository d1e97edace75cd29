using System.Text.Json;
using Herald.AspNetCore.Card;
using Herald.AspNetCore.Http;
using Herald.AspNetCore.JsonRpc.Legacy;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Protocol.V03;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc.V03;

/// <summary>
/// The A2A v0.3 JSON-RPC methods: v0.3 params mapped to the v1.0 model, the engine call, v0.3 results and
/// streams out. With <c>withTutorialMembers</c> (the names both eras call, sent without a version) answers also
/// carry the tutorial-era members (<see cref="TutorialMembers"/>).
/// </summary>
internal sealed class V03JsonRpcMethods(IHeraldEngine engine, HeraldOptions options, ILogger logger)
{
    private static readonly JsonSerializerOptions Params = ParamsReader.Lenient(V03JsonContext.Default);

    public JsonRpcCall Prepare(JsonRpcRequest request, bool withTutorialMembers)
    {
        var id = request.IdJson;
        switch (request.Method)
        {
            case V03Methods.SendMessage:
            {
                var send = ReadSend(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var result = await engine.SendMessageAsync(HttpCaller.Of(context), send, ct).ConfigureAwait(false);
                    V03Result answer = result.Reply is { } reply ? V03Mapping.ToV03(reply) : V03Mapping.ToV03(TaskFit.ToLimit(context, result.Task!.Task));
                    await JsonRpcResponses.WriteResultAsync(context, id, answer, V03JsonContext.Default.V03Result).ConfigureAwait(false);
                });
            }

            case V03Methods.SendStreamingMessage:
            {
                var send = ReadSend(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    ResponseLimit.Describe(context, "SendStreamingMessage", send.Message?.TaskId);
                    await using var stream = await engine.SendStreamingMessageAsync(HttpCaller.Of(context), send, ct).ConfigureAwait(false);
                    await JsonRpcStreams.WriteAsync(context, id, stream, V03StreamFormats.For(options), options, logger).ConfigureAwait(false);
                });
            }

            case V03Methods.GetTask:
            {
                var get = V03Mapping.ToV1(Read<V03TaskQueryParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    var caller = HttpCaller.Of(context);
                    ResponseLimit.Describe(context, "GetTask", get.Id);
                    A2AOperation.TagTask(get.Id);

                    // Built once for every request that asks for the same answer meanwhile, in a turn of the snapshot gate.
                    await JsonRpcResponses.WriteSharedResultAsync(context, id, new SharedAnswerKey(get.Id ?? "", get.HistoryLength, withTutorialMembers ? "jsonrpc/v0.3+tutorial" : "jsonrpc/v0.3", get.Tenant, caller),
                        async c =>
                        {
                            var (task, sequence) = await SharedAnswers.GetTaskAsync(engine, caller, get, c).ConfigureAwait(false);
                            return new SharedBody(withTutorialMembers
                                ? SharedResults.Encode(json => TutorialMembers.Task(task).WriteTo(json))
                                : SharedResults.Encode(json => JsonSerializer.Serialize(json, V03Mapping.ToV03(task), V03JsonContext.Default.V03Task)), sequence);
                        }, ct).ConfigureAwait(false);
                });
            }

            case V03Methods.CancelTask:
            {
                var cancel = V03Mapping.ToCancelTaskRequest(Read<V03TaskIdParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    var task = TaskFit.ToLimit(context, await ResponseLimit.BuildAsync(context, c => engine.CancelTaskAsync(HttpCaller.Of(context), cancel, c), ct).ConfigureAwait(false));
                    await WriteTaskAsync(context, id, task, withTutorialMembers).ConfigureAwait(false);
                });
            }

            case V03Methods.Resubscribe:
            {
                var subscribe = V03Mapping.ToSubscribeToTaskRequest(Read<V03TaskIdParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    ResponseLimit.Describe(context, "SubscribeToTask", subscribe.Id);
                    // Resumption works as on SubscribeToTask: Last-Event-ID replays the events after it.
                    var lastEventId = JsonRpcEndpoint.ParseLastEventId(context.Request);
                    await using var stream = await engine.SubscribeToTaskAsync(HttpCaller.Of(context), subscribe, lastEventId, ct).ConfigureAwait(false);
                    var format = withTutorialMembers
                        ? await TutorialStreamFormatAsync(stream, dataOnly: lastEventId is null, ct).ConfigureAwait(false)
                        : V03StreamFormats.For(options);
                    await JsonRpcStreams.WriteAsync(context, id, stream, format, options, logger).ConfigureAwait(false);
                });
            }

            case V03Methods.SetPushNotificationConfig:
            {
                var config = V03Mapping.ToV1(Read<V03TaskPushNotificationConfig>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    var created = await engine.CreateTaskPushNotificationConfigAsync(HttpCaller.Of(context), config, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, V03Mapping.ToV03(created), V03JsonContext.Default.V03TaskPushNotificationConfig).ConfigureAwait(false);
                });
            }

            case V03Methods.GetPushNotificationConfig:
            {
                var get = V03Mapping.ToV1(Read<V03GetTaskPushNotificationConfigParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    var caller = HttpCaller.Of(context);

                    // v0.3 may leave the config id out: the task's (first) config is meant.
                    var config = get.Id is null
                        ? (await engine.ListTaskPushNotificationConfigsAsync(caller, new ListTaskPushNotificationConfigsRequest { TaskId = get.TaskId }, ct).ConfigureAwait(false)).Configs is [var first, ..]
                            ? first
                            : throw new A2AException(A2AErrorCodes.TaskNotFound, $"Task '{get.TaskId}' has no push notification config.")
                        : await engine.GetTaskPushNotificationConfigAsync(caller, get, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, V03Mapping.ToV03(config), V03JsonContext.Default.V03TaskPushNotificationConfig).ConfigureAwait(false);
                });
            }

            case V03Methods.ListPushNotificationConfigs:
            {
                var list = V03Mapping.ToV1(Read<V03ListTaskPushNotificationConfigParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    var configs = await engine.ListTaskPushNotificationConfigsAsync(HttpCaller.Of(context), list, ct).ConfigureAwait(false);
                    IReadOnlyList<V03TaskPushNotificationConfig> v03 = [.. configs.Configs.Select(V03Mapping.ToV03)];
                    await JsonRpcResponses.WriteResultAsync(context, id, v03, V03JsonContext.Default.IReadOnlyListV03TaskPushNotificationConfig).ConfigureAwait(false);
                });
            }

            case V03Methods.DeletePushNotificationConfig:
            {
                var delete = V03Mapping.ToV1(Read<V03DeleteTaskPushNotificationConfigParams>(request.Params));
                return new DelegateCall(async (context, ct) =>
                {
                    await engine.DeleteTaskPushNotificationConfigAsync(HttpCaller.Of(context), delete, ct).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, NullResult, A2AJsonContext.Default.JsonElement).ConfigureAwait(false);
                });
            }

            case V03Methods.GetAuthenticatedExtendedCard:
                if (options.ExtendedCard is null)
                {
                    throw new A2AException(V03ErrorCodes.AuthenticatedExtendedCardNotConfigured,
                        "This agent has no authenticated extended card (supportsAuthenticatedExtendedCard is false).");
                }

                return new DelegateCall(async (context, _) =>
                {
                    var card = await ExtendedCardAccess.GetAsync(context).ConfigureAwait(false);
                    await JsonRpcResponses.WriteResultAsync(context, id, V03Mapping.ToV03(card), V03JsonContext.Default.V03AgentCard).ConfigureAwait(false);
                });

            default:
                throw new A2AException(A2AErrorCodes.MethodNotFound, $"Method '{JsonRpcEndpoint.Truncate(request.Method)}' was not found.");
        }
    }

    private static SendMessageRequest ReadSend(JsonElement? parameters)
    {
        var send = Read<V03MessageSendParams>(parameters);
        if (send.Message is null)
        {
            throw A2AException.InvalidParams("message", "message is required.");
        }

        return V03Mapping.ToV1(send);
    }

    /// <summary>A <c>null</c> result (v0.3 delete answers with one).</summary>
    private static readonly JsonElement NullResult = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>The params (required members are checked by the engine, which names them); none is an empty object.</summary>
    private static T Read<T>(JsonElement? parameters)
        where T : class =>
        ParamsReader.Read<T>(parameters, Params) ?? throw A2AException.InvalidParams("params", "params is required.");

    private static Task WriteTaskAsync(HttpContext context, byte[] id, AgentTask task, bool withTutorialMembers) => withTutorialMembers
        ? JsonRpcResponses.WriteResultAsync(context, id, TutorialMembers.Task(task))
        : JsonRpcResponses.WriteResultAsync(context, id, V03Mapping.ToV03(task), V03JsonContext.Default.V03Task);

    /// <summary>
    /// The v0.3 + tutorial-era format for this stream. Its artifacts are numbered as the task numbers them: from the
    /// snapshot when there is one, else (resuming after Last-Event-ID) from the task's artifacts as they are now.
    /// Framed as the tutorial's server framed it (no <c>id:</c> lines, which its client cannot parse) unless the
    /// client sent Last-Event-ID: the tutorial's client never does, and a v0.3 client that resumes reads the ids.
    /// </summary>
    private async Task<SseStreamFormat> TutorialStreamFormatAsync(TaskStream stream, bool dataOnly, CancellationToken cancellationToken)
    {
        var index = new LegacyArtifactIndex();
        if (stream.Snapshot is null && stream.TaskId is { } taskId)
        {
            // The stream was opened for this caller already (its access checked); this reads the same task for framing only.
            var task = await engine.GetTaskAsync(Caller.System, new GetTaskRequest { Id = taskId, HistoryLength = 0 }, cancellationToken).ConfigureAwait(false);
            LegacyStreamFormats.Seed(index, task);
        }

        return TutorialMembers.CreateStreamFormat(index, dataOnly);
    }
}
