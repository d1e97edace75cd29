using System.Text.Json;
using Herald.AspNetCore.Http;
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
        Snapshot = static task => Snapshot(task, generation: false),
        Reply = Reply,
    };

    /// <summary>As <see cref="Responses"/>, with A2A 1.1 <c>generation</c> on the snapshot and every event (<see cref="GenerationFields"/>).</summary>
    public static readonly SseStreamFormat ResponsesWithGeneration = new()
    {
        Event = static e => e.GetEncoded(GenerationFields.Encoding.Instance),
        Snapshot = static task => Snapshot(task, generation: true),
        Reply = Reply,
    };

    /// <summary>Updates as <c>task/statusUpdate</c> / <c>task/artifactUpdate</c> notifications whose params are the v1.0 event.</summary>
    public static readonly SseStreamFormat Notifications = new()
    {
        Event = static e => e.GetEncoded(NotificationEncoding.Plain),
        Snapshot = static task => Snapshot(task, generation: false),
        Reply = Reply,
        EventName = JsonRpcStreams.NotificationMethod,
        EventsAreWhole = true,
    };

    /// <summary>As <see cref="Notifications"/>, with <c>generation</c>.</summary>
    public static readonly SseStreamFormat NotificationsWithGeneration = new()
    {
        Event = static e => e.GetEncoded(NotificationEncoding.WithGeneration),
        Snapshot = static task => Snapshot(task, generation: true),
        Reply = Reply,
        EventName = JsonRpcStreams.NotificationMethod,
        EventsAreWhole = true,
    };

    public static SseStreamFormat For(HeraldOptions options, bool generation) => (options.JsonRpcNotificationEvents, generation) switch
    {
        (false, false) => Responses,
        (false, true) => ResponsesWithGeneration,
        (true, false) => Notifications,
        (true, true) => NotificationsWithGeneration,
    };

    private static byte[] Snapshot(AgentTask task, bool generation) =>
        JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Task = GenerationFields.Task(task, generation) }, A2AJsonContext.Default.StreamResponse);

    private static byte[] Reply(Message message) =>
        JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Message = message }, A2AJsonContext.Default.StreamResponse);

    /// <summary>
    /// The notification of a v1.0 event. Its params are the one member of the event's shared <c>StreamResponse</c>
    /// bytes, cut out rather than serialized again, so an event read back from a store is not decoded for it.
    /// </summary>
    private sealed class NotificationEncoding(bool generation) : EventEncoding
    {
        public static readonly NotificationEncoding Plain = new(generation: false);

        public static readonly NotificationEncoding WithGeneration = new(generation: true);

        protected internal override byte[] Encode(TaskEvent taskEvent)
        {
            var response = (generation ? taskEvent.GetEncoded(GenerationFields.Encoding.Instance) : taskEvent.GetV1Json()).Span;
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
