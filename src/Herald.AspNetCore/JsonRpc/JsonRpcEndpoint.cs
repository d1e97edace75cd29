using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>The A2A v1.0 JSON-RPC binding: one POST endpoint, JSON responses and SSE streams.</summary>
internal sealed partial class JsonRpcEndpoint(TaskEngine engine, ILogger<JsonRpcEndpoint> logger)
{
    private const int ReadBatch = 256;
    private static readonly string[] SupportedVersions = ["1.0"];

    private readonly HeraldOptions _options = engine.Options;

    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        JsonElement? id = null;
        JsonDocument? document = null;
        try
        {
            document = await ReadRequestAsync(context).ConfigureAwait(false);
            if (document is null)
            {
                return; // 413 already written
            }

            var root = document.RootElement;
            id = ValidateEnvelope(root, out var method, out var parameters);
            CheckVersion(context.Request);
            await DispatchAsync(context, id, method, parameters).ConfigureAwait(false);
        }
        catch (A2AException ex)
        {
            await WriteErrorAsync(context, id, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, ex);
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, id, new A2AException(A2AErrorCodes.InternalError, "Internal error")).ConfigureAwait(false);
            }
        }
        finally
        {
            document?.Dispose();
        }
    }

    private async Task<JsonDocument?> ReadRequestAsync(HttpContext context)
    {
        var limit = _options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, limit).ConfigureAwait(false);
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var reader = context.Request.BodyReader;
        ReadResult result;
        try
        {
            while (true)
            {
                result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                if (result.Buffer.Length > limit)
                {
                    reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    await WriteTooLargeAsync(context, limit).ConfigureAwait(false);
                    return null;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }

                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context, limit).ConfigureAwait(false);
            return null;
        }

        try
        {
            if (result.Buffer.IsEmpty)
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "The request body is empty; expected a JSON-RPC 2.0 request object.");
            }

            // A copy: JsonDocument keeps reading the memory it was parsed from for its whole lifetime, and
            // the pipe's buffers are reused by other requests as soon as they are released below.
            return JsonDocument.Parse(result.Buffer.ToArray(), new JsonDocumentOptions { MaxDepth = _options.MaxJsonDepth });
        }
        catch (JsonException ex) when (ex.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, $"The request nests JSON deeper than the limit of {_options.MaxJsonDepth} levels.");
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, position {ex.BytePositionInLine + 1})" : "";
            throw new A2AException(A2AErrorCodes.ParseError, $"Invalid JSON payload{where}.");
        }
        finally
        {
            reader.AdvanceTo(result.Buffer.End);
        }
    }

    private static JsonElement? ValidateEnvelope(JsonElement root, out string method, out JsonElement? parameters)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "Batch requests are not supported; send one JSON-RPC request per HTTP request.");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "The request must be a JSON-RPC 2.0 request object.");
        }

        JsonElement? id = null;
        if (root.TryGetProperty("id"u8, out var idElement))
        {
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                throw new A2AException(A2AErrorCodes.InvalidRequest, "id must be a string, a number or null.");
            }

            id = idElement;
        }

        if (!root.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\".");
        }

        if (!root.TryGetProperty("method"u8, out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "method is required and must be a string.");
        }

        if (id is null)
        {
            throw new A2AException(A2AErrorCodes.InvalidRequest, "id is required: A2A methods always answer, so notifications are not accepted.");
        }

        // A params value that is not an object is checked when the method reads it: that is -32602,
        // answered with this request's id, not an invalid request.
        parameters = root.TryGetProperty("params"u8, out var paramsElement) && paramsElement.ValueKind != JsonValueKind.Null
            ? paramsElement
            : null;

        method = methodElement.GetString()!;
        return id;
    }

    private static void CheckVersion(HttpRequest request)
    {
        var value = request.Headers["A2A-Version"].ToString();
        if (string.IsNullOrWhiteSpace(value))
        {
            value = request.Query["A2A-Version"].ToString();
        }

        value = value.Trim();
        if (value is "1.0" or "1" || value.StartsWith("1.0.", StringComparison.Ordinal))
        {
            return;
        }

        var requested = string.IsNullOrEmpty(value) ? "0.3 (assumed when no A2A-Version is sent)" : $"'{value}'";
        throw new A2AException(A2AErrorCodes.VersionNotSupported,
            $"A2A protocol version {requested} is not supported; this endpoint speaks {string.Join(", ", SupportedVersions)}. Send the header A2A-Version: 1.0.")
        {
            Details = new Dictionary<string, string> { ["supportedVersions"] = string.Join(",", SupportedVersions) },
        };
    }

    private async Task DispatchAsync(HttpContext context, JsonElement? id, string method, JsonElement? parameters)
    {
        var ct = context.RequestAborted;
        switch (method)
        {
            case "SendMessage":
            {
                var request = Parse(parameters, A2AJsonContext.Default.SendMessageRequest);
                var mode = request.Configuration?.ReturnImmediately == true ? SendMode.Immediate : SendMode.Blocking;
                var start = await engine.SendAsync(request, mode, ct).ConfigureAwait(false);
                var response = start.Reply is { } reply ? new SendMessageResponse { Message = reply } : new SendMessageResponse { Task = start.Task!.Task };
                await WriteResultAsync(context, id, response, A2AJsonContext.Default.SendMessageResponse).ConfigureAwait(false);
                break;
            }

            case "SendStreamingMessage":
            {
                var request = Parse(parameters, A2AJsonContext.Default.SendMessageRequest);
                var start = await engine.SendAsync(request, SendMode.Streaming, ct).ConfigureAwait(false);
                await StreamAsync(context, id, start.Reply, start.Task, resumeAfter: null).ConfigureAwait(false);
                break;
            }

            case "GetTask":
            {
                var task = await engine.GetAsync(Parse(parameters, A2AJsonContext.Default.GetTaskRequest), ct).ConfigureAwait(false);
                await WriteResultAsync(context, id, task, A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
                break;
            }

            case "ListTasks":
            {
                var page = await engine.ListAsync(Parse(parameters, A2AJsonContext.Default.ListTasksRequest), ct).ConfigureAwait(false);
                await WriteResultAsync(context, id, page, A2AJsonContext.Default.ListTasksResponse).ConfigureAwait(false);
                break;
            }

            case "CancelTask":
            {
                var task = await engine.CancelAsync(Parse(parameters, A2AJsonContext.Default.CancelTaskRequest), ct).ConfigureAwait(false);
                await WriteResultAsync(context, id, task, A2AJsonContext.Default.AgentTask).ConfigureAwait(false);
                break;
            }

            case "SubscribeToTask":
            {
                var request = Parse(parameters, A2AJsonContext.Default.SubscribeToTaskRequest);
                var lastEventId = ParseLastEventId(context.Request);
                var snapshot = await engine.PrepareSubscribeAsync(request, lastEventId, ct).ConfigureAwait(false);
                await StreamAsync(context, id, null, snapshot, lastEventId).ConfigureAwait(false);
                break;
            }

            case "GetExtendedAgentCard":
                throw new A2AException(A2AErrorCodes.UnsupportedOperation, "This agent has no extended agent card (capabilities.extendedAgentCard is false).");

            case "CreateTaskPushNotificationConfig":
            case "GetTaskPushNotificationConfig":
            case "ListTaskPushNotificationConfigs":
            case "DeleteTaskPushNotificationConfig":
                throw new A2AException(A2AErrorCodes.PushNotificationNotSupported, "Push notifications are not supported by this agent (capabilities.pushNotifications is false).");

            default:
                throw new A2AException(A2AErrorCodes.MethodNotFound, $"Method '{method}' was not found.");
        }
    }

    private static T Parse<T>(JsonElement? parameters, JsonTypeInfo<T> typeInfo)
        where T : new()
    {
        if (parameters is not { } element)
        {
            return new T();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw A2AException.InvalidParams("params", "params must be an object.");
        }

        try
        {
            return element.Deserialize(typeInfo) ?? new T();
        }
        catch (JsonException ex)
        {
            // Field names are relative to params ("message.messageId"), as the engine's own checks name them.
            var path = ex.Path switch
            {
                null or "$" => null,
                var p when p.StartsWith("$.", StringComparison.Ordinal) => p[2..],
                var p => p[1..],
            };
            var missing = MissingRequired().Match(ex.Message);
            if (missing.Success)
            {
                var field = path is null ? missing.Groups[1].Value : $"{path}.{missing.Groups[1].Value}";
                throw A2AException.InvalidParams(field, $"{field} is required.");
            }

            path ??= "params";
            throw A2AException.InvalidParams(path, $"{path} has an invalid value.");
        }
    }

    private static long? ParseLastEventId(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Last-Event-ID", out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return null;
        }

        var text = values.ToString().Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : throw A2AException.InvalidParams("Last-Event-ID", $"Last-Event-ID '{Truncate(text)}' is not an event id of this server (a task event sequence number).");
    }

    private async Task StreamAsync(HttpContext context, JsonElement? id, Message? reply, TaskSnapshot? snapshot, long? resumeAfter)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var writer = response.BodyWriter;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, engine.StreamsClosing);
        var ct = linked.Token;
        var prefix = EnvelopePrefix(id);
        ReadOnlySpan<byte> suffix = "}"u8;

        SseWriter.WriteRetry(writer, _options.SseRetry);
        try
        {
            if (reply is not null)
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Message = reply }, A2AJsonContext.Default.StreamResponse);
                SseWriter.WriteEvent(writer, null, EventName("message"u8), prefix, bytes, suffix);
                await writer.FlushAsync(ct).ConfigureAwait(false);
                return;
            }

            var task = snapshot!.Task;
            long position;
            if (resumeAfter is { } after)
            {
                position = after;
                if (after == snapshot.Sequence && task.Status.State.EndsStream() && await EndsStreamAtAsync(task.Id, after, ct).ConfigureAwait(false))
                {
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                    return; // the client already has everything, including the event that ended its stream
                }

                // Nothing may follow for a while: answer with the headers and retry: now, not with the next event.
                await writer.FlushAsync(ct).ConfigureAwait(false);
            }
            else
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Task = task }, A2AJsonContext.Default.StreamResponse);
                SseWriter.WriteEvent(writer, snapshot.Sequence, EventName("task"u8), prefix, bytes, suffix);
                await writer.FlushAsync(ct).ConfigureAwait(false);
                if (task.Status.State.IsTerminal())
                {
                    return;
                }

                position = snapshot.Sequence;
            }

            await TailAsync(writer, task.Id, position, prefix, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Client gone, or the server is shutting down: end the response cleanly.
        }
        catch (A2AException ex)
        {
            await WriteStreamErrorAsync(writer, id, ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, ex);
            await WriteStreamErrorAsync(writer, id, new A2AException(A2AErrorCodes.InternalError, "Internal error")).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when the event at <paramref name="sequence"/> ended streams (terminal or interrupted). An
    /// interrupted task whose last event is a follow-up message has begun a new turn, so it does not.
    /// </summary>
    private async ValueTask<bool> EndsStreamAtAsync(string taskId, long sequence, CancellationToken ct)
    {
        var events = await engine.Store.ReadAsync(taskId, sequence - 1, 1, ct).ConfigureAwait(false);
        return events is [{ EndsStream: true }];
    }

    /// <summary>Reads the log from <paramref name="position"/> at this stream's own pace until an event ends the stream.</summary>
    private async Task TailAsync(PipeWriter writer, string taskId, long position, byte[] prefix, CancellationToken ct)
    {
        var store = engine.Store;
        var time = engine.Time;
        while (true)
        {
            var batch = await store.ReadAsync(taskId, position, ReadBatch, ct).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                await WaitWithKeepAliveAsync(writer, store.WaitForEventsAsync(taskId, position, ct), time, ct).ConfigureAwait(false);
                continue;
            }

            foreach (var e in batch)
            {
                position = e.Sequence;
                if (!e.IsStreamed)
                {
                    continue;
                }

                var name = e.Kind == TaskEventKind.Status ? EventName("status-update"u8) : EventName("artifact-update"u8);
                SseWriter.WriteEvent(writer, e.Sequence, name, prefix, e.GetV1Json().Span, "}"u8);
                if (e.EndsStream)
                {
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                    return;
                }
            }

            // One flush per batch: a fast producer's events leave together, each still its own SSE event.
            var flush = await writer.FlushAsync(ct).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                return;
            }
        }
    }

    private async Task WaitWithKeepAliveAsync(PipeWriter writer, ValueTask wait, TimeProvider time, CancellationToken ct)
    {
        if (wait.IsCompleted)
        {
            await wait.ConfigureAwait(false);
            return;
        }

        var pending = wait.AsTask();
        while (true)
        {
            try
            {
                await pending.WaitAsync(_options.KeepAliveInterval, time, ct).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                SseWriter.WriteKeepAlive(writer);
                await writer.FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private ReadOnlySpan<byte> EventName(ReadOnlySpan<byte> name) => _options.NamedSseEvents ? name : default;

    private static byte[] EnvelopePrefix(JsonElement? id)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc", "2.0");
            JsonRpcErrorWriter.WriteId(json, id);
            json.WritePropertyName("result");
            json.WriteNullValue(); // placeholder, cut off below
        }

        // Keep everything up to and including "result": - the event bytes and "}" follow.
        var written = buffer.WrittenSpan;
        return written[..^"null".Length].ToArray();
    }

    private static async Task WriteStreamErrorAsync(PipeWriter writer, JsonElement? id, A2AException error)
    {
        try
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer, JsonRpcErrorWriter.WriterOptions))
            {
                JsonRpcErrorWriter.WriteResponse(json, id, error);
            }

            SseWriter.WriteEvent(writer, null, default, default, buffer.WrittenSpan, default);
            await writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is already gone.
        }
    }

    private static async Task WriteResultAsync<T>(HttpContext context, JsonElement? id, T value, JsonTypeInfo<T> typeInfo)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc", "2.0");
            JsonRpcErrorWriter.WriteId(json, id);
            json.WritePropertyName("result");
            JsonSerializer.Serialize(json, value, typeInfo);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, JsonElement? id, A2AException error, int status = StatusCodes.Status200OK)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, JsonRpcErrorWriter.WriterOptions))
        {
            JsonRpcErrorWriter.WriteResponse(json, id, error);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        WriteErrorAsync(context, null,
            new A2AException(A2AErrorCodes.InvalidRequest, $"The request body exceeds the limit of {limit} bytes."),
            StatusCodes.Status413PayloadTooLarge);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    [GeneratedRegex("missing required properties including: '([^']+)'")]
    private static partial Regex MissingRequired();

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Unhandled error in the JSON-RPC endpoint")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
