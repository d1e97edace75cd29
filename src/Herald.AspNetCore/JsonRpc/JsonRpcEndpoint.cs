using System.Text.Json;
using Herald.AspNetCore.Http;
using Herald.AspNetCore.JsonRpc.Legacy;
using Herald.AspNetCore.JsonRpc.V03;
using Herald.AspNetCore.JsonRpc.V1;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Protocol.V03;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// The JSON-RPC binding's one POST endpoint: reads and checks the envelope, selects the dialect (v1.0, v0.3,
/// tutorial era: <see cref="ProtocolVersionSelector"/>), hands the request to that dialect's method table, and
/// turns errors into JSON-RPC answers: for a streaming method whose client asked for <c>text/event-stream</c>, an
/// SSE stream holding the one error, since such clients read nothing else. The request body is released as soon
/// as the method has read its params; only the id is kept.
/// </summary>
internal sealed partial class JsonRpcEndpoint(IHeraldEngine engine, HeraldOptions options, ILogger<JsonRpcEndpoint> logger)
{
    private readonly V1JsonRpcMethods _v1 = new(engine, options, logger);
    private readonly V03JsonRpcMethods _v03 = new(engine, options, logger);
    private readonly LegacyJsonRpcMethods _tutorial = new(engine, options, logger);

    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var idJson = JsonRpcRequestReader.NullId;
        var streaming = false;
        using var operation = A2AOperation.Start(logger, A2AOperation.Other, Binding, "jsonrpc");
        try
        {
            JsonRpcCall? call;
            using (var body = await JsonRpcRequestReader.ReadAsync(context, options).ConfigureAwait(false))
            {
                // Known before the envelope is checked: even an invalid request for a streaming method is answered as a stream.
                var method = JsonRpcRequestReader.PeekMethod(body.Document!.RootElement);
                streaming = ProtocolVersionSelector.IsStreaming(method);
                operation.SetMethod(V1MethodName(method));
                var request = JsonRpcRequestReader.Validate(body, options, out idJson);

                // Params are read into typed requests here; the document (the whole body) goes when this block ends.
                var dialect = ProtocolVersionSelector.Select(context.Request, request.Method);
                operation.SetDialect(dialect switch
                {
                    JsonRpcDialect.V03 or JsonRpcDialect.V03OrTutorial => "0.3",
                    JsonRpcDialect.Tutorial => "tutorial",
                    _ => ProtocolVersionHeader.IsV11(ProtocolVersionHeader.Read(context.Request)) ? "1.1" : "1.0",
                });
                call = dialect switch
                {
                    JsonRpcDialect.V03 => _v03.Prepare(request, withTutorialMembers: false),
                    JsonRpcDialect.V03OrTutorial => _v03.Prepare(request, withTutorialMembers: true),
                    JsonRpcDialect.Tutorial => _tutorial.Prepare(request),
                    _ => _v1.Prepare(request),
                };
            }

            await call.ExecuteAsync(context, aborted).ConfigureAwait(false);
        }
        catch (A2AException ex)
        {
            operation.Fail(ex);
            await WriteErrorAsync(context, idJson, ex, streaming).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
            operation.Canceled();
        }
        catch (Exception ex)
        {
            operation.Fail(ex);
            LogUnhandled(logger, ex);
            await WriteErrorAsync(context, idJson, new A2AException(A2AErrorCodes.InternalError, "Internal error"), streaming).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>a2a.binding</c> of this endpoint's operations.</summary>
    public const string Binding = "JSONRPC";

    /// <summary>A method of any dialect by its A2A v1.0 name (the <c>rpc.method</c> of its span); <see cref="A2AOperation.Other"/> for a method no dialect knows.</summary>
    public static string V1MethodName(string? method) => method switch
    {
        "SendMessage" or V03Methods.SendMessage or LegacyMethods.Send => "SendMessage",
        "SendStreamingMessage" or V03Methods.SendStreamingMessage or LegacyMethods.SendSubscribe => "SendStreamingMessage",
        "GetTask" or V03Methods.GetTask => "GetTask",
        "ListTasks" => "ListTasks",
        "CancelTask" or V03Methods.CancelTask => "CancelTask",
        "SubscribeToTask" or V03Methods.Resubscribe => "SubscribeToTask",
        "GetExtendedAgentCard" or V03Methods.GetAuthenticatedExtendedCard => "GetExtendedAgentCard",
        "CreateTaskPushNotificationConfig" or V03Methods.SetPushNotificationConfig => "CreateTaskPushNotificationConfig",
        "GetTaskPushNotificationConfig" or V03Methods.GetPushNotificationConfig => "GetTaskPushNotificationConfig",
        "ListTaskPushNotificationConfigs" or V03Methods.ListPushNotificationConfigs => "ListTaskPushNotificationConfigs",
        "DeleteTaskPushNotificationConfig" or V03Methods.DeletePushNotificationConfig => "DeleteTaskPushNotificationConfig",
        _ => A2AOperation.Other,
    };

    private Task WriteErrorAsync(HttpContext context, byte[] idJson, A2AException error, bool streaming)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask; // a stream already open reports its own errors
        }

        // A refusal at the HTTP level (413, 415, 408) comes before the body was read: plain JSON with HTTP's status.
        if (error is HttpRefusalException refusal)
        {
            return JsonRpcResponses.WriteErrorAsync(context, idJson, error, refusal.HttpStatus);
        }

        return streaming && AcceptsEventStream(context.Request)
            ? SseStreamer.WriteErrorStreamAsync(context, JsonRpcResponses.ErrorBytes(idJson, error), options)
            : JsonRpcResponses.WriteErrorAsync(context, idJson, error);
    }

    private static bool AcceptsEventStream(HttpRequest request)
    {
        foreach (var accept in request.GetTypedHeaders().Accept)
        {
            if (accept.MediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The client's <c>Last-Event-ID</c>, when it sent one.</summary>
    public static long? ParseLastEventId(HttpRequest request) => LastEventId.Parse(request);

    /// <summary>Client-supplied text quoted in an error message, cut to a readable length.</summary>
    public static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Unhandled error in the JSON-RPC endpoint")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}

/// <summary>A method call whose params have been read: it runs after the request body is released.</summary>
internal abstract class JsonRpcCall
{
    public abstract Task ExecuteAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>A call made of a delegate.</summary>
internal sealed class DelegateCall(Func<HttpContext, CancellationToken, Task> execute) : JsonRpcCall
{
    public override Task ExecuteAsync(HttpContext context, CancellationToken cancellationToken) => execute(context, cancellationToken);
}
