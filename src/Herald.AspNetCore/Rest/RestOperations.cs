using System.Text.Json;
using Herald.AspNetCore.Card;
using Herald.AspNetCore.Http;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// The HTTP+JSON operations (spec 11.3): each reads its request, calls the engine, and writes the v1.0 result
/// or stream. Every operation checks the protocol version first; errors become <c>google.rpc.Status</c> bodies
/// with the status of spec 5.4, and a refused stream is a plain error response, not an event stream.
/// </summary>
internal sealed partial class RestOperations(IHeraldEngine engine, HeraldOptions options, ILogger<RestOperations> logger)
{
    public Task SendMessageAsync(HttpContext context) => RunAsync(context, "SendMessage", async (c, ct) =>
    {
        var request = await ReadSendAsync(c).ConfigureAwait(false);
        var result = await engine.SendMessageAsync(HttpCaller.Of(c), request, ct).ConfigureAwait(false);
        var response = result.Reply is { } reply ? new SendMessageResponse { Message = reply } : new SendMessageResponse { Task = TaskFit.ToLimit(c, result.Task!.Task) };
        await RestResponses.WriteResultAsync(c, GenerationFields.Response(response, GenerationFields.Requested(c.Request)), A2AJsonContext.Default.SendMessageResponse).ConfigureAwait(false);
    });

    public Task SendStreamingMessageAsync(HttpContext context) => RunAsync(context, "SendStreamingMessage", async (c, ct) =>
    {
        var request = await ReadSendAsync(c).ConfigureAwait(false);
        ResponseLimit.Describe(c, "SendStreamingMessage", request.Message?.TaskId);
        await using var stream = await engine.SendStreamingMessageAsync(HttpCaller.Of(c), request, ct).ConfigureAwait(false);
        await RestResponses.StreamAsync(c, stream, options, logger).ConfigureAwait(false);
    });

    public Task GetTaskAsync(HttpContext context) => RunAsync(context, "GetTask", async (c, ct) =>
    {
        var get = RestRequestReader.ReadGetTask(c);
        var caller = HttpCaller.Of(c);
        ResponseLimit.Describe(c, "GetTask", get.Id);
        var generation = GenerationFields.Requested(c.Request);
        if (get.CurrentGeneration is null)
        {
            // Built once for every request that asks for the same answer meanwhile, in a turn of the snapshot gate.
            A2AOperation.TagTask(get.Id);
            await RestResponses.WriteSharedResultAsync(c, new SharedAnswerKey(get.Id ?? "", get.HistoryLength, generation ? "rest/v1+generation" : "rest/v1", get.Tenant, caller),
                async t =>
                {
                    var snapshot = await SharedAnswers.GetTaskAsync(engine, caller, get, t).ConfigureAwait(false);
                    var task = GenerationFields.Task(snapshot.Task, generation);
                    return new SharedBody(SharedResults.Encode(json => JsonSerializer.Serialize(json, task, A2AJsonContext.Default.AgentTask), RestTaskWriter), snapshot.Sequence);
                }, ct).ConfigureAwait(false);
            return;
        }

        // A long-poll waits for the task to change: it takes no turn, and its answer is its own.
        var waited = await engine.GetTaskAsync(caller, get, ct).ConfigureAwait(false);
        await RestResponses.WriteResultAsync(c, GenerationFields.Task(waited, generation), A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
    });

    /// <summary>How the REST binding's results are written (as <see cref="RestResponses.WriteResultAsync{T}"/> writes them).</summary>
    private static readonly JsonWriterOptions RestTaskWriter = SharedResults.WriterOptions(A2AJsonContext.Default.Options);

    public Task ListTasksAsync(HttpContext context) => RunAsync(context, "ListTasks", async (c, ct) =>
    {
        var list = RestRequestReader.ReadListTasks(c);
        ResponseLimit.Describe(c, "ListTasks", null);
        var page = await ResponseLimit.BuildAsync(c, t => engine.ListTasksAsync(HttpCaller.Of(c), list, t), ct).ConfigureAwait(false);
        await RestResponses.WriteResultAsync(c, GenerationFields.Page(page, GenerationFields.Requested(c.Request)), A2AJsonContext.Default.ListTasksResponse).ConfigureAwait(false);
    });

    public Task CancelTaskAsync(HttpContext context) => RunAsync(context, "CancelTask", async (c, ct) =>
    {
        // The body is optional (it may carry metadata); the path names the task.
        var body = await RestRequestReader.ReadBodyAsync<CancelTaskRequest>(c, options).ConfigureAwait(false);
        var request = body with { Id = RestRequestReader.Route(c, "id"), Tenant = RestRequestReader.Route(c, "tenant") ?? body.Tenant };
        var task = TaskFit.ToLimit(c, await ResponseLimit.BuildAsync(c, t => engine.CancelTaskAsync(HttpCaller.Of(c), request, t), ct).ConfigureAwait(false));
        await RestResponses.WriteResultAsync(c, GenerationFields.Task(task, GenerationFields.Requested(c.Request)), A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
    });

    /// <summary>POST per the spec's text (11.3.2), GET per the proto's annotation: both are served.</summary>
    public Task SubscribeToTaskAsync(HttpContext context) => RunAsync(context, "SubscribeToTask", async (c, ct) =>
    {
        if (HttpMethods.IsPost(c.Request.Method))
        {
            await RestRequestReader.ReadBodyAsync<SubscribeToTaskRequest>(c, options).ConfigureAwait(false);
        }

        var request = new SubscribeToTaskRequest { Id = RestRequestReader.Route(c, "id"), Tenant = RestRequestReader.Route(c, "tenant") };
        var lastEventId = LastEventId.Parse(c.Request);
        ResponseLimit.Describe(c, "SubscribeToTask", request.Id);
        await using var stream = await engine.SubscribeToTaskAsync(HttpCaller.Of(c), request, lastEventId, ct).ConfigureAwait(false);
        await RestResponses.StreamAsync(c, stream, options, logger).ConfigureAwait(false);
    });

    public Task GetExtendedAgentCardAsync(HttpContext context) => RunAsync(context, "GetExtendedAgentCard", async (c, _) =>
    {
        if (options.ExtendedCard is null)
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation, "This agent has no extended agent card (capabilities.extendedAgentCard is false).");
        }

        var card = await ExtendedCardAccess.GetAsync(c).ConfigureAwait(false);
        await RestResponses.WriteResultAsync(c, card, A2AJsonContext.Default.AgentCard).ConfigureAwait(false);
    });

    /// <summary>Create (POST), get (GET with a config id), list (GET) and delete (DELETE) push notification configs.</summary>
    public Task PushNotificationConfigAsync(HttpContext context) => RunAsync(context, PushConfigMethod(context.Request), async (c, ct) =>
    {
        var caller = HttpCaller.Of(c);
        var taskId = RestRequestReader.Route(c, "id");
        var tenant = RestRequestReader.Route(c, "tenant");
        var configId = RestRequestReader.Route(c, "configId");
        if (HttpMethods.IsPost(c.Request.Method))
        {
            // The path names the task; a body that names another is refused rather than silently redirected.
            var body = await RestRequestReader.ReadBodyAsync<TaskPushNotificationConfig>(c, options).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(body.TaskId) && body.TaskId != taskId)
            {
                throw A2AException.InvalidParams("taskId", $"The body's taskId '{body.TaskId}' is not the task of the path.");
            }

            var created = await engine.CreateTaskPushNotificationConfigAsync(caller, body with { TaskId = taskId, Tenant = tenant ?? body.Tenant }, ct).ConfigureAwait(false);
            await RestResponses.WriteResultAsync(c, created, A2AJsonContext.Default.TaskPushNotificationConfig).ConfigureAwait(false);
        }
        else if (HttpMethods.IsDelete(c.Request.Method))
        {
            await engine.DeleteTaskPushNotificationConfigAsync(caller, new TaskPushNotificationConfigRequest { TaskId = taskId, Id = configId, Tenant = tenant }, ct).ConfigureAwait(false);
            await RestResponses.WriteResultAsync(c, EmptyObject, A2AJsonContext.Default.JsonElement).ConfigureAwait(false);
        }
        else if (configId is null)
        {
            var list = await engine.ListTaskPushNotificationConfigsAsync(caller, new ListTaskPushNotificationConfigsRequest { TaskId = taskId, Tenant = tenant }, ct).ConfigureAwait(false);
            await RestResponses.WriteResultAsync(c, list, A2AJsonContext.Default.ListTaskPushNotificationConfigsResponse).ConfigureAwait(false);
        }
        else
        {
            var config = await engine.GetTaskPushNotificationConfigAsync(caller, new TaskPushNotificationConfigRequest { TaskId = taskId, Id = configId, Tenant = tenant }, ct).ConfigureAwait(false);
            await RestResponses.WriteResultAsync(c, config, A2AJsonContext.Default.TaskPushNotificationConfig).ConfigureAwait(false);
        }
    });

    /// <summary><c>google.protobuf.Empty</c> in JSON: DELETE's answer.</summary>
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private async Task<SendMessageRequest> ReadSendAsync(HttpContext context)
    {
        var request = await RestRequestReader.ReadBodyAsync<SendMessageRequest>(context, options).ConfigureAwait(false);
        return RestRequestReader.Route(context, "tenant") is { } tenant ? request with { Tenant = tenant } : request;
    }

    /// <summary>The push-config method a request names: by its HTTP method and whether the path names a config.</summary>
    private static string PushConfigMethod(HttpRequest request)
    {
        if (HttpMethods.IsPost(request.Method))
        {
            return "CreateTaskPushNotificationConfig";
        }

        if (HttpMethods.IsDelete(request.Method))
        {
            return "DeleteTaskPushNotificationConfig";
        }

        return request.Path.Value is { } path && path.TrimEnd('/').EndsWith("/pushNotificationConfigs", StringComparison.Ordinal)
            ? "ListTaskPushNotificationConfigs"
            : "GetTaskPushNotificationConfig";
    }

    /// <summary>The <c>a2a.binding</c> of these operations.</summary>
    public const string Binding = "HTTP+JSON";

    private async Task RunAsync(HttpContext context, string method, Func<HttpContext, CancellationToken, Task> operation)
    {
        var aborted = context.RequestAborted;
        using var span = A2AOperation.Start(logger, method, Binding, rpcSystem: null, ProtocolVersionHeader.IsV11(ProtocolVersionHeader.Read(context.Request)) ? "1.1" : "1.0");
        try
        {
            RestRequestReader.CheckVersion(context.Request);
            await operation(context, aborted).ConfigureAwait(false);
        }
        catch (A2AException ex)
        {
            span.Fail(ex);
            await RestResponses.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
            span.Canceled();
        }
        catch (Exception ex)
        {
            span.Fail(ex);
            LogUnhandled(logger, ex);
            await RestResponses.WriteErrorAsync(context, new A2AException(A2AErrorCodes.InternalError, "Internal error")).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Unhandled error in the HTTP+JSON endpoint")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
