using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>An output of a task (proto <c>Artifact</c>).</summary>
public sealed record Artifact
{
    public required string ArtifactId { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<Part> Parts { get; init => field = value ?? []; } = [];

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    public IReadOnlyList<string>? Extensions { get; init; }
}
