using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The status of a task at a point in time (proto <c>TaskStatus</c>).</summary>
public sealed record AgentTaskStatus
{
    public TaskState State { get; init; }

    /// <summary>An optional message from the agent that explains the state.</summary>
    public Message? Message { get; init; }

    /// <summary>When the status was recorded; ISO 8601 UTC with milliseconds on the wire.</summary>
    [JsonConverter(typeof(Iso8601TimestampConverter))]
    public DateTimeOffset? Timestamp { get; init; }
}
