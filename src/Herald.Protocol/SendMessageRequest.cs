using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>Parameters of SendMessage and SendStreamingMessage (proto <c>SendMessageRequest</c>).</summary>
public sealed record SendMessageRequest
{
    public string? Tenant { get; init; }

    public Message? Message { get; init; }

    public SendMessageConfiguration? Configuration { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>How the server should process a sent message (proto <c>SendMessageConfiguration</c>).</summary>
public sealed record SendMessageConfiguration
{
    public IReadOnlyList<string>? AcceptedOutputModes { get; init; }

    public TaskPushNotificationConfig? TaskPushNotificationConfig { get; init; }

    public int? HistoryLength { get; init; }

    /// <summary>Return as soon as the task exists instead of waiting for a terminal or interrupted state.</summary>
    public bool? ReturnImmediately { get; init; }

    /// <summary>
    /// A2A 1.1 guarded follow-up: the message is refused (-32010, <c>TaskGenerationMismatchError</c>) unless the
    /// existing task's generation equals this value when the message is processed. Ignored for a new task.
    /// </summary>
    public long? IfGenerationMatch { get; init; }
}
