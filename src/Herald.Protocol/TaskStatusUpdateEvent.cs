using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>A streamed change of a task's status (proto <c>TaskStatusUpdateEvent</c>).</summary>
public sealed record TaskStatusUpdateEvent
{
    public required string TaskId { get; init; }

    public required string ContextId { get; init; }

    public required AgentTaskStatus Status { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
