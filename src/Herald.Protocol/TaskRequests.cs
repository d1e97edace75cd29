using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>Parameters of GetTask.</summary>
public sealed record GetTaskRequest
{
    public string? Tenant { get; init; }

    public string? Id { get; init; }

    public int? HistoryLength { get; init; }

    /// <summary>
    /// A2A 1.1 long-poll: when set and the task's generation is not beyond it, the answer waits until it is
    /// (or until the server's long-poll timeout, then returns the task as it is).
    /// </summary>
    public long? CurrentGeneration { get; init; }
}

/// <summary>Parameters of ListTasks.</summary>
public sealed record ListTasksRequest
{
    public string? Tenant { get; init; }

    public string? ContextId { get; init; }

    public TaskState? Status { get; init; }

    public int? PageSize { get; init; }

    public string? PageToken { get; init; }

    public int? HistoryLength { get; init; }

    [JsonConverter(typeof(Iso8601TimestampConverter))]
    public DateTimeOffset? StatusTimestampAfter { get; init; }

    public bool? IncludeArtifacts { get; init; }
}

/// <summary>Result of ListTasks.</summary>
public sealed record ListTasksResponse
{
    public required IReadOnlyList<AgentTask> Tasks { get; init; }

    /// <summary>Cursor for the next page; empty on the last page (always present).</summary>
    public required string NextPageToken { get; init; }

    public int PageSize { get; init; }

    public int TotalSize { get; init; }
}

/// <summary>Parameters of CancelTask.</summary>
public sealed record CancelTaskRequest
{
    public string? Tenant { get; init; }

    public string? Id { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of SubscribeToTask.</summary>
public sealed record SubscribeToTaskRequest
{
    public string? Tenant { get; init; }

    public string? Id { get; init; }
}

/// <summary>Parameters of GetExtendedAgentCard.</summary>
public sealed record GetExtendedAgentCardRequest
{
    public string? Tenant { get; init; }
}
