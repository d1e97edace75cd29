using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Protocol.V03;

namespace Herald.Protocol.Legacy;

/// <summary>
/// The task states of the tutorial era. <c>rejected</c> and <c>auth-required</c> did not exist yet:
/// <see cref="LegacyMapping"/> sends them as <c>failed</c> and <c>input-required</c>, which clients of that
/// era know and treat the same way (the stream ends).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<LegacyTaskState>))]
public enum LegacyTaskState
{
    [JsonStringEnumMemberName("unknown")] Unknown = 0,
    [JsonStringEnumMemberName("submitted")] Submitted,
    [JsonStringEnumMemberName("working")] Working,
    [JsonStringEnumMemberName("input-required")] InputRequired,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("canceled")] Canceled,
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>
/// A part as the tutorial wrote it: <c>{"type": "text", "text": ...}</c>, <c>{"type": "file", "file": {...}}</c>
/// or <c>{"type": "data", "data": {...}}</c>. Read: <c>type</c> or <c>kind</c> (or the member present).
/// Written: both <c>type</c> and <c>kind</c>, so that clients of either era read it.
/// </summary>
public sealed record LegacyPart
{
    public string? Type { get; init; }

    public string? Kind { get; init; }

    public string? Text { get; init; }

    public V03FileContent? File { get; init; }

    public JsonElement? Data { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>A tutorial-era message: role and parts; <c>messageId</c> came later and is optional here.</summary>
public sealed record LegacyMessage
{
    public V03Role Role { get; init; }

    public IReadOnlyList<LegacyPart> Parts { get; init => field = value ?? []; } = [];

    public string? MessageId { get; init; }

    /// <summary>Written as <c>message</c> for v0.3 readers; ignored on read.</summary>
    public string? Kind { get; init; }

    public string? TaskId { get; init; }

    public string? ContextId { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of <c>tasks/send</c> and <c>tasks/sendSubscribe</c>: the client chooses the task id.</summary>
public sealed record LegacyTaskSendParams
{
    /// <summary>The task id, chosen by the client: a new task is created with it, or the task with it is continued.</summary>
    public required string Id { get; init; }

    /// <summary>The conversation the task belongs to (v1.0 <c>contextId</c>).</summary>
    public string? SessionId { get; init; }

    public required LegacyMessage Message { get; init; }

    public IReadOnlyList<string>? AcceptedOutputModes { get; init; }

    public V03PushNotificationConfig? PushNotification { get; init; }

    public int? HistoryLength { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of the tutorial-era <c>tasks/get</c> and <c>tasks/resubscribe</c>.</summary>
public sealed record LegacyTaskQueryParams
{
    public required string Id { get; init; }

    public int? HistoryLength { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>A tutorial-era task status.</summary>
public sealed record LegacyTaskStatus
{
    public LegacyTaskState State { get; init; }

    public LegacyMessage? Message { get; init; }

    public string? Timestamp { get; init; }
}

/// <summary>A tutorial-era artifact: identified by its <see cref="Index"/> in the task (the v0.3 <c>artifactId</c> is written too).</summary>
public sealed record LegacyArtifact
{
    public string? Name { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<LegacyPart> Parts { get; init => field = value ?? []; } = [];

    public int Index { get; init; }

    public bool? Append { get; init; }

    public bool? LastChunk { get; init; }

    public string? ArtifactId { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>A tutorial-era task: <c>sessionId</c> (and, for newer readers, <c>contextId</c> and <c>kind</c>).</summary>
public sealed record LegacyTask
{
    public required string Id { get; init; }

    public string? SessionId { get; init; }

    public required LegacyTaskStatus Status { get; init; }

    public IReadOnlyList<LegacyArtifact>? Artifacts { get; init; }

    public IReadOnlyList<LegacyMessage>? History { get; init; }

    public string? ContextId { get; init; }

    public string? Kind { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>An event of a tutorial-era stream: what those clients read as <c>result.status</c> or <c>result.artifact</c>.</summary>
[JsonDerivedType(typeof(LegacyTaskStatusUpdateEvent))]
[JsonDerivedType(typeof(LegacyTaskArtifactUpdateEvent))]
public abstract record LegacyEvent
{
    private protected LegacyEvent()
    {
    }

    /// <summary>The task id.</summary>
    public required string Id { get; init; }

    /// <summary>The same id under its v0.3 name, for newer readers.</summary>
    public string? TaskId { get; init; }

    public string? ContextId { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary><c>{"id", "status", "final"}</c>: <see cref="Final"/> on the event that ends the stream.</summary>
public sealed record LegacyTaskStatusUpdateEvent : LegacyEvent
{
    public required LegacyTaskStatus Status { get; init; }

    public bool Final { get; init; }

    /// <summary><c>status-update</c>, for v0.3 readers.</summary>
    public string? Kind { get; init; }
}

/// <summary><c>{"id", "artifact"}</c>.</summary>
public sealed record LegacyTaskArtifactUpdateEvent : LegacyEvent
{
    public required LegacyArtifact Artifact { get; init; }

    /// <summary><c>artifact-update</c>, for v0.3 readers.</summary>
    public string? Kind { get; init; }
}
