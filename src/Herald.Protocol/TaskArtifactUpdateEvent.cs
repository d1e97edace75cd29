using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>A streamed artifact or artifact chunk (proto <c>TaskArtifactUpdateEvent</c>).</summary>
public sealed record TaskArtifactUpdateEvent
{
    public required string TaskId { get; init; }

    public required string ContextId { get; init; }

    public required Artifact Artifact { get; init; }

    /// <summary>When true, the parts extend the artifact with the same id instead of replacing it.</summary>
    public bool? Append { get; init; }

    /// <summary>When true, this is the final chunk of the artifact.</summary>
    public bool? LastChunk { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    /// <summary>
    /// A2A 1.1: the task's generation after this update (consecutive on one task: a gap means a missed event). Herald
    /// writes it only to clients that ask for 1.1 or activate the resumable-streams extension; null otherwise.
    /// Read from a JSON number or string (ProtoJSON int64: <see cref="A2AJsonContext"/> reads every number from a string too), written as a number.
    /// </summary>
    public long? Generation { get; init; }
}
