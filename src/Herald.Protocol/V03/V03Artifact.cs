using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A v0.3 <c>Artifact</c>.</summary>
public sealed record V03Artifact
{
    public required string ArtifactId { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<V03Part> Parts { get; init => field = value ?? []; } = [];

    public IReadOnlyList<string>? Extensions { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
