using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A v0.3 <c>Message</c> (<c>"kind": "message"</c>).</summary>
public sealed record V03Message : V03Result
{
    public override string Kind => V03Kinds.Message;

    public required string MessageId { get; init; }

    public V03Role Role { get; init; }

    public IReadOnlyList<V03Part> Parts { get; init => field = value ?? []; } = [];

    public string? ContextId { get; init; }

    public string? TaskId { get; init; }

    public IReadOnlyList<string>? ReferenceTaskIds { get; init; }

    public IReadOnlyList<string>? Extensions { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
