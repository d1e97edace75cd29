using System.Buffers;
using Herald.AspNetCore.Sse;
using Herald.Server;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// JSON-RPC framing of a <see cref="TaskStream"/>, shared by every dialect: each item is a response to the
/// request (<c>{"jsonrpc":"2.0","id":&lt;id&gt;,"result":&lt;item&gt;}</c>, the item's bytes shared by every stream),
/// and an error that ends the stream is an error response with the same id. With
/// <see cref="HeraldOptions.JsonRpcNotificationEvents"/>, updates are notifications instead (see <see cref="Notification"/>).
/// </summary>
internal static class JsonRpcStreams
{
    public static readonly byte[] StatusUpdateMethod = "task/statusUpdate"u8.ToArray();
    public static readonly byte[] ArtifactUpdateMethod = "task/artifactUpdate"u8.ToArray();

    private static readonly byte[] ResponseSuffix = "}"u8.ToArray();

    public static Task WriteAsync(HttpContext context, byte[] idJson, TaskStream stream, SseStreamFormat format, HeraldOptions options, ILogger logger) =>
        SseStreamer.WriteAsync(context, stream, format, ResponsePrefix(idJson), ResponseSuffix,
            error => JsonRpcResponses.ErrorBytes(idJson, error), options, logger);

    /// <summary>The notification method of an update, also its SSE event name.</summary>
    public static byte[] NotificationMethod(TaskEvent taskEvent) =>
        taskEvent.Kind == TaskEventKind.Status ? StatusUpdateMethod : ArtifactUpdateMethod;

    /// <summary>
    /// <c>{"jsonrpc":"2.0","method":"task/statusUpdate","params":&lt;event&gt;}</c> (or <c>task/artifactUpdate</c>): the
    /// cleveragents convention. A notification carries no request id, so the whole message is shared by every stream.
    /// </summary>
    public static byte[] Notification(TaskEvent taskEvent, ReadOnlySpan<byte> parameters)
    {
        var method = NotificationMethod(taskEvent);
        var buffer = new ArrayBufferWriter<byte>(64 + method.Length + parameters.Length);
        buffer.Write("{\"jsonrpc\":\"2.0\",\"method\":\""u8);
        buffer.Write(method);
        buffer.Write("\",\"params\":"u8);
        buffer.Write(parameters);
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"jsonrpc":"2.0","id":&lt;id&gt;,"result":</c>: each item's bytes and <c>}</c> follow.</summary>
    private static byte[] ResponsePrefix(byte[] idJson)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + idJson.Length);
        buffer.Write("{\"jsonrpc\":\"2.0\",\"id\":"u8);
        buffer.Write(idJson);
        buffer.Write(",\"result\":"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
