using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The in-memory store with hooks: tests see when the server reads a task, and make reads fail the
/// way a broken database would.
/// </summary>
internal sealed class InterceptingTaskStore : TaskStore
{
    private readonly InMemoryTaskStore _inner = new();

    /// <summary>Runs before every <see cref="GetAsync"/>, with the task id.</summary>
    public Action<string>? OnGet { get; set; }

    /// <summary>When set, <see cref="ListAsync"/> throws it.</summary>
    public Func<Exception>? FailList { get; set; }

    /// <summary>When set, <see cref="ReadAsync"/> throws it.</summary>
    public Func<Exception>? FailRead { get; set; }

    public override ValueTask<TaskEvent> CreateAsync(AgentTask task, CancellationToken cancellationToken = default) =>
        _inner.CreateAsync(task, cancellationToken);

    public override ValueTask<TaskEvent> AppendAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default) =>
        _inner.AppendAsync(taskId, draft, cancellationToken);

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default)
    {
        OnGet?.Invoke(taskId);
        return _inner.GetAsync(taskId, historyLength, includeArtifacts, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        FailRead is { } fail ? throw fail() : _inner.ReadAsync(taskId, afterSequence, maxCount, cancellationToken);

    public override ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default) =>
        _inner.WaitForEventsAsync(taskId, afterSequence, cancellationToken);

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default) =>
        FailList is { } fail ? throw fail() : _inner.ListAsync(query, cancellationToken);
}
