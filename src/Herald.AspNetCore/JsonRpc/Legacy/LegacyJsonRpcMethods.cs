using System.Text.Json;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc.Legacy;

/// <summary>
/// The A2A tutorial's <c>tasks/send</c> and <c>tasks/sendSubscribe</c>: the client names the task (<c>params.id</c>;
/// the engine creates it, or continues it while it waits for input), <c>sessionId</c> is the context, parts carry
/// <c>type</c>. Answers are the shapes those clients read: a task with <c>sessionId</c>, and stream events
/// <c>{id, status, final}</c> / <c>{id, artifact}</c>. (<c>tasks/get</c>, <c>tasks/cancel</c> and <c>tasks/resubscribe</c>
/// share their names with v0.3 and are answered by the v0.3 table.)
/// </summary>
internal sealed class LegacyJsonRpcMethods(IHeraldEngine engine, HeraldOptions options, ILogger logger)
{
    private static readonly JsonSerializerOptions Params = ParamsReader.Lenient(LegacyJsonContext.Default);
    private static readonly SendOptions ClientChosenId = new() { CreateTaskWithClientId = true };

    public JsonRpcCall Prepare(JsonRpcRequest request)
    {
        var id = request.IdJson;
        switch (request.Method)
        {
            case LegacyMethods.Send:
            {
                var send = ReadSend(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    var result = await CallAsync(() => engine.SendMessageAsync(HttpCaller.Of(context), send, ClientChosenId, ct)).ConfigureAwait(false);
                    var task = result.Task is { } snapshot
                        ? LegacyMapping.ToLegacy(TaskFit.ToLimit(context, snapshot.Task))
                        : ReplyAsTask(send.Message!.TaskId!, result.Reply!);
                    await JsonRpcResponses.WriteResultAsync(context, id, task, LegacyJsonContext.Default.LegacyTask).ConfigureAwait(false);
                });
            }

            case LegacyMethods.SendSubscribe:
            {
                var send = ReadSend(request.Params);
                return new DelegateCall(async (context, ct) =>
                {
                    await using var stream = await CallAsync(() => engine.SendStreamingMessageAsync(HttpCaller.Of(context), send, ClientChosenId, ct)).ConfigureAwait(false);
                    var format = LegacyStreamFormats.Create(new LegacyArtifactIndex(), send.Message!.TaskId);
                    await JsonRpcStreams.WriteAsync(context, id, stream, format, options, logger).ConfigureAwait(false);
                });
            }

            default:
                throw new A2AException(A2AErrorCodes.MethodNotFound, $"Method '{JsonRpcEndpoint.Truncate(request.Method)}' was not found.");
        }
    }

    /// <summary>The v1.0 request of <c>tasks/send</c> params; the client's task id travels as <c>message.taskId</c>.</summary>
    private static SendMessageRequest ReadSend(JsonElement? parameters)
    {
        var send = ParamsReader.Read<LegacyTaskSendParams>(parameters, Params)
            ?? throw A2AException.InvalidParams("params", "params is required: {\"id\", \"sessionId\", \"message\"}.");
        if (send.Message is null)
        {
            throw A2AException.InvalidParams("message", "message is required.");
        }

        if (string.IsNullOrEmpty(send.Id))
        {
            throw A2AException.InvalidParams("id", "id is required: the client chooses the task's id.");
        }

        return LegacyMapping.ToV1(send);
    }

    /// <summary>
    /// Runs an engine call; its field names are the v1.0 model's, and this dialect names two of them differently:
    /// the client's task id is <c>id</c> and the context <c>sessionId</c>.
    /// </summary>
    private static async Task<T> CallAsync<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (A2AException ex) when (ex.Field is "message.taskId" or "message.contextId")
        {
            throw new A2AException(ex.Code, ex.Message, ex.Field == "message.taskId" ? "id" : "sessionId") { Details = ex.Details };
        }
    }

    /// <summary>An agent that answered with a direct message created no task; this era's clients read a task, so it is reported as a completed one.</summary>
    private static LegacyTask ReplyAsTask(string taskId, Message reply) => new()
    {
        Id = taskId,
        SessionId = reply.ContextId,
        ContextId = reply.ContextId,
        Kind = "task",
        Status = new LegacyTaskStatus
        {
            State = LegacyTaskState.Completed,
            Message = LegacyMapping.ToLegacy(reply with { TaskId = taskId }),
        },
    };
}
