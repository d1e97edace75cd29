using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol.V03;

/// <summary>
/// Source-generated serialization for the A2A v0.3 wire format: camelCase members, <c>kind</c> on
/// tasks, messages, parts and events, unset members omitted, unknown members ignored.
/// </summary>
[JsonSourceGenerationOptions(
    // Deeper than any request Herald accepts (HeraldOptions.MaxJsonDepth is at most 1000) plus the envelopes a stored or
    // served form adds around it (event, task, history, JSON-RPC response): what was accepted can always be stored and sent.
    MaxDepth = 1100,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(V03Result))]
[JsonSerializable(typeof(V03Task))]
[JsonSerializable(typeof(V03Message))]
[JsonSerializable(typeof(V03TaskStatusUpdateEvent))]
[JsonSerializable(typeof(V03TaskArtifactUpdateEvent))]
[JsonSerializable(typeof(V03Part))]
[JsonSerializable(typeof(V03TextPart))]
[JsonSerializable(typeof(V03FilePart))]
[JsonSerializable(typeof(V03DataPart))]
[JsonSerializable(typeof(V03Artifact))]
[JsonSerializable(typeof(V03TaskStatus))]
[JsonSerializable(typeof(V03MessageSendParams))]
[JsonSerializable(typeof(V03TaskQueryParams))]
[JsonSerializable(typeof(V03TaskIdParams))]
[JsonSerializable(typeof(V03TaskPushNotificationConfig))]
[JsonSerializable(typeof(IReadOnlyList<V03TaskPushNotificationConfig>))]
[JsonSerializable(typeof(V03GetTaskPushNotificationConfigParams))]
[JsonSerializable(typeof(V03ListTaskPushNotificationConfigParams))]
[JsonSerializable(typeof(V03DeleteTaskPushNotificationConfigParams))]
[JsonSerializable(typeof(V03AgentCard))]
[JsonSerializable(typeof(JsonRpcRequest))]
[JsonSerializable(typeof(JsonRpcResponse))]
[JsonSerializable(typeof(JsonRpcError))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class V03JsonContext : JsonSerializerContext;
