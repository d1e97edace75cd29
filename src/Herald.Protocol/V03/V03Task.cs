using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A v0.3 <c>Task</c> (<c>"kind": "task"</c>).</summary>
public sealed record V03Task : V03Result
{
    public override string Kind => V03Kinds.Task;

    public required string Id { get; init; }

    public required string ContextId { get; init; }

    public required V03TaskStatus Status { get; init; }

    public IReadOnlyList<V03Artifact>? Artifacts { get; init; }

    public IReadOnlyList<V03Message>? History { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
