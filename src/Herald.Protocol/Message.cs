using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>One turn of communication between a client and an agent (proto <c>Message</c>).</summary>
public sealed record Message
{
    public required string MessageId { get; init; }

    public string? ContextId { get; init; }

    public string? TaskId { get; init; }

    public Role Role { get; init; }

    public IReadOnlyList<Part> Parts { get; init => field = value ?? []; } = [];

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    public IReadOnlyList<string>? Extensions { get; init; }

    public IReadOnlyList<string>? ReferenceTaskIds { get; init; }

    /// <summary>A message from the agent with a single text part and a new id.</summary>
    public static Message AgentText(string text) =>
        new() { MessageId = Guid.NewGuid().ToString("N"), Role = Role.Agent, Parts = [Part.FromText(text)] };

    /// <summary>A message from the user with a single text part and a new id.</summary>
    public static Message UserText(string text) =>
        new() { MessageId = Guid.NewGuid().ToString("N"), Role = Role.User, Parts = [Part.FromText(text)] };

    /// <summary>The text parts joined, for logs and simple agents.</summary>
    public string GetText() => string.Concat(Parts.Select(p => p.Text));
}
