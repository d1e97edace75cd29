using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.AspNetCore.JsonRpc.V03;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Protocol.Legacy;
using Herald.Protocol.V03;
using Herald.Server.Storage;

namespace Herald.AspNetCore.JsonRpc.Legacy;

/// <summary>
/// Answers to <c>tasks/get</c>, <c>tasks/cancel</c> and <c>tasks/resubscribe</c> sent without an <c>A2A-Version</c>:
/// v0.3 and tutorial-era clients call these names with the same params, and neither says which it is. The answer
/// is the v0.3 object (its states and members win) plus the tutorial-era members it lacks (<c>sessionId</c>, a part's
/// <c>type</c>, an artifact's <c>index</c>, an event's <c>id</c>); JSON readers skip members they do not know, so
/// both read it. A client that sends <c>A2A-Version: 0.3</c> gets the plain v0.3 object.
/// </summary>
internal static class TutorialMembers
{
    /// <summary>A task as a <c>tasks/get</c> / <c>tasks/cancel</c> result.</summary>
    public static JsonNode Task(AgentTask task) => JsonMerge.Merge(
        JsonSerializer.SerializeToNode(V03Mapping.ToV03(task), V03JsonContext.Default.V03Task)!,
        JsonSerializer.SerializeToNode(LegacyMapping.ToLegacy(task), LegacyJsonContext.Default.LegacyTask));

    /// <summary>A format for one <c>tasks/resubscribe</c> stream, numbering artifacts with <paramref name="index"/> (see <see cref="LegacyStreamFormats"/>).</summary>
    /// <param name="index">This stream's artifact numbering.</param>
    /// <param name="dataOnly">The tutorial's framing, without <c>id:</c> lines (see <see cref="SseStreamFormat.DataOnly"/>).</param>
    public static SseStreamFormat CreateStreamFormat(LegacyArtifactIndex index, bool dataOnly) => new()
    {
        Event = e => e.GetEncoded(Encoding.Instance, Register(e, index)),
        Snapshot = task => Merge(V03StreamFormats.Snapshot(task), LegacyStreamFormats.Serialize(LegacyMapping.ToLegacy(new StreamResponse { Task = task }, index))),
        Reply = message => Merge(V03StreamFormats.Reply(message), LegacyStreamFormats.Serialize(LegacyMapping.ToLegacy(new StreamResponse { Message = message }, index))),
        DataOnly = dataOnly,
    };

    private static LegacyArtifactIndex Register(TaskEvent taskEvent, LegacyArtifactIndex index)
    {
        if (taskEvent.Kind == TaskEventKind.Artifact)
        {
            index.IndexOf(taskEvent.ArtifactUpdate!.Artifact.ArtifactId);
        }

        return index;
    }

    private static byte[] Merge(ReadOnlySpan<byte> v03, ReadOnlySpan<byte> tutorial)
    {
        var merged = JsonMerge.Merge(Parse(v03), Parse(tutorial));
        var buffer = new ArrayBufferWriter<byte>(v03.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            merged.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static JsonNode Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonNode.Parse(ref reader) ?? throw new InvalidOperationException("An encoded event is JSON null.");
    }

    private sealed class Encoding : EventEncoding<LegacyArtifactIndex>
    {
        public static readonly Encoding Instance = new();

        // Built from the two dialects' own shared bytes, which this also caches for their streams.
        protected internal override byte[] Encode(TaskEvent taskEvent, LegacyArtifactIndex context) =>
            Merge(V03StreamFormats.Encode(taskEvent).Span, LegacyStreamFormats.Encode(taskEvent, context).Span);
    }
}
