using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.AspNetCore.Http;
using Herald.AspNetCore.JsonRpc.V1;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// Writes HTTP+JSON responses: results as bare ProtoJSON objects, errors as <c>google.rpc.Status</c>
/// (<c>{"error":{"code","status","message","details"}}</c>, spec 11.6), streams as SSE whose data is the bare
/// <c>StreamResponse</c> (spec 11.7). Bodies are serialized whole, then sent through <see cref="ResponseBodyWriter"/>.
/// </summary>
internal static class RestResponses
{
    public const string A2AJson = "application/a2a+json";
    public const string Json = "application/json";

    /// <summary>
    /// v1.0 stream items, as the JSON-RPC binding's (the same shared event bytes), without an envelope; an error
    /// that ends a stream is an <c>event: error</c> whose data is the error body.
    /// </summary>
    public static readonly SseStreamFormat StreamFormat = new()
    {
        Event = V1StreamFormats.Responses.Event,
        Snapshot = V1StreamFormats.Responses.Snapshot,
        Reply = V1StreamFormats.Responses.Reply,
        ErrorEventName = "error"u8.ToArray(),
    };

    /// <summary>As <see cref="StreamFormat"/>, with A2A 1.1 <c>generation</c> (<see cref="GenerationFields"/>).</summary>
    public static readonly SseStreamFormat StreamFormatWithGeneration = new()
    {
        Event = V1StreamFormats.ResponsesWithGeneration.Event,
        Snapshot = V1StreamFormats.ResponsesWithGeneration.Snapshot,
        Reply = V1StreamFormats.ResponsesWithGeneration.Reply,
        ErrorEventName = "error"u8.ToArray(),
    };

    public static async Task WriteResultAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var limit = ResponseLimit.Of(context);
        if (body.Length > limit)
        {
            await WriteErrorAsync(context, ResponseLimit.TooLarge(context, body.Length, limit)).ConfigureAwait(false);
            return;
        }

        await ResponseBodyWriter.SendResultAsync(context, status, ContentType(context.Request), body).ConfigureAwait(false);
    }

    /// <summary>A result shared with concurrent requests for the same answer (<see cref="SharedResults"/>).</summary>
    /// <exception cref="HttpRefusalException">503 busy: no build turn or no room in the budget within the wait.</exception>
    public static async Task WriteSharedResultAsync(HttpContext context, SharedAnswerKey key, Func<CancellationToken, ValueTask<SharedBody>> encode, CancellationToken cancellationToken)
    {
        using var answer = await SharedResults.GetAsync(context, key, encode, cancellationToken).ConfigureAwait(false);
        if (answer.Status == SharedAnswerStatus.Busy)
        {
            throw ResponseLimit.Busy();
        }

        var limit = ResponseLimit.Of(context);
        if (answer.Status == SharedAnswerStatus.TooLarge || answer.Size > limit)
        {
            await WriteErrorAsync(context, ResponseLimit.TooLarge(context, answer.Size, limit)).ConfigureAwait(false);
            return;
        }

        await ResponseBodyWriter.SendAsync(context, StatusCodes.Status200OK, ContentType(context.Request), default, answer.Body, default).ConfigureAwait(false);
    }

    public static Task WriteNoContentAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>Answers with the error, unless the response has started (a stream ends with its own error event).</summary>
    public static async Task WriteErrorAsync(HttpContext context, A2AException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var status = error is HttpRefusalException refusal ? refusal.HttpStatus : RestStatusMapping.HttpStatus(error.Code);
        ResponseLimit.SetRetryAfter(context, error);
        await ResponseBodyWriter.SendAsync(context, status, ContentType(context.Request), ErrorBytes(error, status)).ConfigureAwait(false);
    }

    /// <summary><c>{"error":{"code":&lt;HTTP status&gt;,"status":..,"message":..,"details":[ErrorInfo, BadRequest?]}}</c>.</summary>
    public static byte[] ErrorBytes(A2AException error, int? httpStatus = null)
    {
        var status = httpStatus ?? RestStatusMapping.HttpStatus(error.Code);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, ErrorDetailsWriter.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteNumber("code", status);
            json.WriteString("status", error is HttpRefusalException ? RestStatusMapping.StatusNameForHttp(status) : RestStatusMapping.StatusName(error.Code));
            json.WriteString("message", error.Message);
            ErrorDetailsWriter.WriteDetails(json, "details", error);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the stream as SSE; errors after it started end it with an <c>event: error</c>.</summary>
    public static Task StreamAsync(HttpContext context, TaskStream stream, HeraldOptions options, ILogger logger) =>
        SseStreamer.WriteAsync(context, stream, GenerationFields.Requested(context.Request) ? StreamFormatWithGeneration : StreamFormat, [], [], static error => ErrorBytes(error), options, logger);

    /// <summary>
    /// <c>application/a2a+json</c> (spec 11.1), unless the client accepts <c>application/json</c> and not that:
    /// a plain JSON tool gets what it asked for.
    /// </summary>
    private static string ContentType(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types))
        {
            return A2AJson;
        }

        var json = false;
        foreach (var type in types)
        {
            var name = type.MediaType.Value;
            if (string.Equals(name, A2AJson, StringComparison.OrdinalIgnoreCase) || name is "*/*" || string.Equals(name, "application/*", StringComparison.OrdinalIgnoreCase))
            {
                return A2AJson;
            }

            json |= string.Equals(name, Json, StringComparison.OrdinalIgnoreCase);
        }

        return json ? Json : A2AJson;
    }
}
