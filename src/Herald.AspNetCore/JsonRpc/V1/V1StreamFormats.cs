using System.Text.Json;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Storage;

namespace Herald.AspNetCore.JsonRpc.V1;

/// <summary>How v1.0 streams put items into SSE data: the event's <c>StreamResponse</c>, or notifications carrying the bare event.</summary>
internal static class V1StreamFormats
{
    /// <summary>v1.0 stream items: the event's shared <c>StreamResponse</c> bytes.</summary>
    public static readonly SseStreamFormat Responses = new()
    {
        Event = static e => e.GetV1Json(),
        Snapshot = Snapshot,
        Reply = Reply,
    };

    /// <summary>Updates as <c>task/statusUpdate</c> / <c>task/artifactUpdate</c> notifications whose params are the v1.0 event.</summary>
    public static readonly SseStreamFormat Notifications = new()
    {
        Event = static e => e.GetEncoded(NotificationEncoding.Instance),
        Snapshot = Snapshot,
        Reply = Reply,
        EventName = JsonRpcStreams.NotificationMethod,
        EventsAreWhole = true,
    };

    public static SseStreamFormat For(HeraldOptions options) => options.JsonRpcNotificationEvents ? Notifications : Responses;

    private static byte[] Snapshot(AgentTask task) =>
        JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Task = task }, A2AJsonContext.Default.StreamResponse);

    private static byte[] Reply(Message message) =>
        JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Message = message }, A2AJsonContext.Default.StreamResponse);

    /// <summary>
    /// The notification of a v1.0 event. Its params are the one member of the event's shared <c>StreamResponse</c>
    /// bytes, cut out rather than serialized again, so an event read back from a store is not decoded for it.
    /// </summary>
    private sealed class NotificationEncoding : EventEncoding
    {
        public static readonly NotificationEncoding Instance = new();

        protected override byte[] Encode(TaskEvent taskEvent)
        {
            var response = taskEvent.GetV1Json().Span;
            var reader = new Utf8JsonReader(response);
            reader.Read(); // {
            reader.Read(); // "statusUpdate" / "artifactUpdate"
            reader.Read(); // the event object
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            return JsonRpcStreams.Notification(taskEvent, response[start..(int)reader.BytesConsumed]);
        }
    }
}
