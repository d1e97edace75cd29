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
}
