using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A v0.3 artifact update (<c>"kind": "artifact-update"</c>).</summary>
public sealed record V03TaskArtifactUpdateEvent : V03Result
{
    public override string Kind => V03Kinds.ArtifactUpdate;

    public required string TaskId { get; init; }

    public required string ContextId { get; init; }

    public required V03Artifact Artifact { get; init; }

    /// <summary>True when the parts extend the artifact with the same id.</summary>
    public bool? Append { get; init; }

    /// <summary>True on the final chunk of the artifact.</summary>
    public bool? LastChunk { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
