using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The result of SendMessage: a task or a direct message (proto <c>SendMessageResponse</c>).</summary>
public sealed record SendMessageResponse
{
    public AgentTask? Task { get; init; }

    public Message? Message { get; init; }
}
