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

    /// <summary>
    /// A2A 1.1: the task's generation after this update (consecutive on one task: a gap means a missed event). Herald
    /// writes it only to clients that ask for 1.1 or activate the resumable-streams extension; null otherwise.
    /// Read from a JSON number or string (ProtoJSON int64: <see cref="A2AJsonContext"/> reads every number from a string too), written as a number.
    /// </summary>
    public long? Generation { get; init; }
}
