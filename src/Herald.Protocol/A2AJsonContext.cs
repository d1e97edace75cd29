using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>
/// Source-generated serialization for the A2A v1.0 wire format (ProtoJSON: camelCase, enum names,
/// unset fields omitted, unknown fields ignored).
/// </summary>
/// <remarks>
/// The generator passes null for init-only members that are missing from the JSON, bypassing their
/// initializers; members with a non-null default therefore coalesce in their init accessor.
/// </remarks>
[JsonSourceGenerationOptions(
    // Deeper than any request Herald accepts (HeraldOptions.MaxJsonDepth is at most 1000) plus the envelopes a stored or
    // served form adds around it (event, task, history, JSON-RPC response): what was accepted can always be stored and sent.
    MaxDepth = 1100,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(AgentTask))]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(Part))]
[JsonSerializable(typeof(Artifact))]
[JsonSerializable(typeof(AgentTaskStatus))]
[JsonSerializable(typeof(TaskStatusUpdateEvent))]
[JsonSerializable(typeof(TaskArtifactUpdateEvent))]
[JsonSerializable(typeof(StreamResponse))]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(SendMessageResponse))]
[JsonSerializable(typeof(GetTaskRequest))]
[JsonSerializable(typeof(ListTasksRequest))]
[JsonSerializable(typeof(ListTasksResponse))]
[JsonSerializable(typeof(CancelTaskRequest))]
[JsonSerializable(typeof(SubscribeToTaskRequest))]
[JsonSerializable(typeof(GetExtendedAgentCardRequest))]
[JsonSerializable(typeof(TaskPushNotificationConfig))]
[JsonSerializable(typeof(TaskPushNotificationConfigRequest))]
[JsonSerializable(typeof(ListTaskPushNotificationConfigsRequest))]
[JsonSerializable(typeof(ListTaskPushNotificationConfigsResponse))]
[JsonSerializable(typeof(AgentCard))]
[JsonSerializable(typeof(JsonRpcRequest))]
[JsonSerializable(typeof(JsonRpcResponse))]
[JsonSerializable(typeof(JsonRpcError))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class A2AJsonContext : JsonSerializerContext;
