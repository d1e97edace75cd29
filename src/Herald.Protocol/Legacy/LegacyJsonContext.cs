using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol.Legacy;

/// <summary>Source-generated serialization for the tutorial-era shapes (camelCase, unset members omitted, unknown ones ignored).</summary>
[JsonSourceGenerationOptions(
    // Deeper than any request Herald accepts (HeraldOptions.MaxJsonDepth is at most 1000) plus the envelopes a stored or
    // served form adds around it (event, task, history, JSON-RPC response): what was accepted can always be stored and sent.
    MaxDepth = 1100,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(LegacyTaskSendParams))]
[JsonSerializable(typeof(LegacyTaskQueryParams))]
[JsonSerializable(typeof(LegacyTask))]
[JsonSerializable(typeof(LegacyEvent))]
[JsonSerializable(typeof(LegacyTaskStatusUpdateEvent))]
[JsonSerializable(typeof(LegacyTaskArtifactUpdateEvent))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class LegacyJsonContext : JsonSerializerContext;
