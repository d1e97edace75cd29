using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>A validated ListTasks query, in store terms.</summary>
public sealed record TaskQuery
{
    public string? ContextId { get; init; }

    public TaskState? State { get; init; }

    /// <summary>Only tasks whose status timestamp is strictly after this instant.</summary>
    public DateTimeOffset? StatusTimestampAfter { get; init; }

    public int PageSize { get; init; } = 50;

    /// <summary>Continue after this position (from the previous page's last task), or null for the first page.</summary>
    public TaskCursor? After { get; init; }

    public int? HistoryLength { get; init; }

    public bool IncludeArtifacts { get; init; }

    /// <summary>Only the tasks of this owner (principal and tenant), and the total counts only those; null for every task.</summary>
    public TaskOwner? Owner { get; init; }
}

/// <summary>A position in the list order: newest status timestamp first, then task id.</summary>
public sealed record TaskCursor(DateTimeOffset StatusTimestamp, string TaskId);

/// <summary>One page of tasks.</summary>
/// <param name="Tasks">The tasks on this page, newest update first.</param>
/// <param name="Next">Where the next page starts, or null on the last page.</param>
/// <param name="TotalSize">How many tasks match the filters across all pages.</param>
public sealed record TaskPage(IReadOnlyList<AgentTask> Tasks, TaskCursor? Next, int TotalSize);
