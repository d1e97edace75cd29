using System.Text.Json;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Protocol.V03;
using Herald.Server;
using Herald.Server.Storage;

namespace Herald.AspNetCore.JsonRpc.V03;

/// <summary>
/// How v0.3 streams put items into SSE data: each event as its v0.3 object (<c>kind</c>, kebab-case states,
/// <c>final: true</c> on the status update that ends the stream), serialized once per event and shared.
/// </summary>
internal static class V03StreamFormats
{
    /// <summary>Responses whose result is the v0.3 object.</summary>
    public static readonly SseStreamFormat Responses = new()
    {
        Event = static e => e.GetEncoded(EventEncoding.Instance),
        Snapshot = Snapshot,
        Reply = Reply,
    };

    /// <summary>Updates as <c>task/statusUpdate</c> / <c>task/artifactUpdate</c> notifications whose params are the v0.3 event.</summary>
    public static readonly SseStreamFormat Notifications = new()
    {
        Event = static e => e.GetEncoded(NotificationEncoding.Instance),
        Snapshot = Snapshot,
        Reply = Reply,
        EventName = JsonRpcStreams.NotificationMethod,
        EventsAreWhole = true,
    };

    public static SseStreamFormat For(HeraldOptions options) => options.JsonRpcNotificationEvents ? Notifications : Responses;

    /// <summary>The v0.3 bytes of a log event (a status or artifact update): shared by every v0.3 stream.</summary>
    public static ReadOnlyMemory<byte> Encode(TaskEvent taskEvent) => taskEvent.GetEncoded(EventEncoding.Instance);

    public static byte[] Snapshot(AgentTask task) => JsonSerializer.SerializeToUtf8Bytes(V03Mapping.ToV03(task), V03JsonContext.Default.V03Task);

    public static byte[] Reply(Message message) => JsonSerializer.SerializeToUtf8Bytes(V03Mapping.ToV03(message), V03JsonContext.Default.V03Message);

    private sealed class EventEncoding : Server.Storage.EventEncoding
    {
        public static readonly EventEncoding Instance = new();

        // final is left to the mapping: true exactly when the state ends the stream, which is when Herald closes it,
        // so the bytes are the same for every stream and can be shared.
        protected internal override byte[] Encode(TaskEvent taskEvent) => taskEvent.Kind == TaskEventKind.Status
            ? JsonSerializer.SerializeToUtf8Bytes(V03Mapping.ToV03(taskEvent.StatusUpdate!), V03JsonContext.Default.V03TaskStatusUpdateEvent)
            : JsonSerializer.SerializeToUtf8Bytes(V03Mapping.ToV03(taskEvent.ArtifactUpdate!), V03JsonContext.Default.V03TaskArtifactUpdateEvent);
    }

    private sealed class NotificationEncoding : Server.Storage.EventEncoding
    {
        public static readonly NotificationEncoding Instance = new();

        protected internal override byte[] Encode(TaskEvent taskEvent) => JsonRpcStreams.Notification(taskEvent, taskEvent.GetEncoded(EventEncoding.Instance).Span);
    }
}
