using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The stateful unit of work (proto <c>Task</c>).</summary>
public sealed record AgentTask
{
    public required string Id { get; init; }

    public string? ContextId { get; init; }

    public required AgentTaskStatus Status { get; init; }

    public IReadOnlyList<Artifact>? Artifacts { get; init; }

    public IReadOnlyList<Message>? History { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    /// <summary>
    /// A2A 1.1: the task's generation (1 at creation, one more per emitted status or artifact update). Herald
    /// writes it only to clients that ask for 1.1 or activate the resumable-streams extension; null otherwise.
    /// Read from a JSON number or string (ProtoJSON int64: <see cref="A2AJsonContext"/> reads every number from a string too), written as a number.
    /// </summary>
    public long? Generation { get; init; }
}
