using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A v0.3 status update (<c>"kind": "status-update"</c>); <see cref="Final"/> marks the event that ends the stream.</summary>
public sealed record V03TaskStatusUpdateEvent : V03Result
{
    public override string Kind => V03Kinds.StatusUpdate;

    public required string TaskId { get; init; }

    public required string ContextId { get; init; }

    public required V03TaskStatus Status { get; init; }

    /// <summary>True on the last event of the stream (a terminal or interrupted state).</summary>
    public bool Final { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
