using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>One item of a stream: exactly one member is set (proto <c>StreamResponse</c>).</summary>
public sealed record StreamResponse
{
    public AgentTask? Task { get; init; }

    public Message? Message { get; init; }

    public TaskStatusUpdateEvent? StatusUpdate { get; init; }

    public TaskArtifactUpdateEvent? ArtifactUpdate { get; init; }
}
