using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol.Legacy;

/// <summary>Source-generated serialization for the tutorial-era shapes (camelCase, unset members omitted, unknown ones ignored).</summary>
[JsonSourceGenerationOptions(
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
