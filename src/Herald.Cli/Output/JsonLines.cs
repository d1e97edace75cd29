using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Client;
using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.Cli.Output;

/// <summary>
/// The <c>--json</c> output: one compact JSON object per line, the protocol objects in v1.0 ProtoJSON
/// through the source-generated <see cref="A2AJsonContext"/>.
/// </summary>
internal static class JsonLines
{
    /// <summary><c>task</c>, <c>message</c>, <c>statusUpdate</c> or <c>artifactUpdate</c>: the member of the StreamResponse that is set.</summary>
    public static string Kind(StreamResponse response) =>
        response.Task is not null ? "task"
        : response.Message is not null ? "message"
        : response.StatusUpdate is not null ? "statusUpdate"
        : response.ArtifactUpdate is not null ? "artifactUpdate"
        : "unknown";

    /// <summary><c>{"id":3,"kind":"artifactUpdate","resumed":{...},"response":{...}}</c>; <c>resumed</c> only on the first event after a reconnection.</summary>
    public static string Event(StreamEvent streamEvent)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (streamEvent.Id is { } id)
            {
                writer.WriteNumber("id", id);
            }
            else
            {
                writer.WriteNull("id");
            }

            writer.WriteString("kind", Kind(streamEvent.Response));
            if (streamEvent.Resumed is { } resumed)
            {
                writer.WriteStartObject("resumed");
                writer.WriteBoolean("withLastEventId", resumed.WithLastEventId);
                if (resumed.LastEventId is { } last)
                {
                    writer.WriteString("lastEventId", last);
                }

                writer.WriteNumber("attempt", resumed.Attempt);
                writer.WriteNumber("resumeCount", resumed.ResumeCount);
                writer.WriteEndObject();
            }

            writer.WritePropertyName("response");
            JsonSerializer.Serialize(writer, streamEvent.Response, A2AJsonContext.Default.StreamResponse);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The card as parsed: its v1.0 form (with the interfaces derived from v0.3 fields), plus, when the
    /// agent published them, the v0.3 top-level members (<c>url</c>, <c>preferredTransport</c>,
    /// <c>additionalInterfaces</c>, <c>protocolVersion</c>, <c>supportsAuthenticatedExtendedCard</c>) as
    /// the agent wrote them: one object both generations of tools read.
    /// </summary>
    public static string Card(AgentCard card, V03AgentCard? v03)
    {
        var json = JsonSerializer.SerializeToNode(card, A2AJsonContext.Default.AgentCard)!.AsObject();
        if (v03 is not null)
        {
            var old = JsonSerializer.SerializeToNode(v03, V03JsonContext.Default.V03AgentCard)!.AsObject();
            foreach (var name in (ReadOnlySpan<string>)["url", "preferredTransport", "additionalInterfaces", "protocolVersion", "supportsAuthenticatedExtendedCard"])
            {
                if (old[name] is { } value && !json.ContainsKey(name))
                {
                    json[name] = value.DeepClone();
                }
            }
        }

        return json.ToJsonString();
    }

    /// <summary>A protocol object on one line.</summary>
    public static string Value<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.Serialize(value, typeInfo);
}
