using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The in-memory store with hooks: tests see when the server reads a task, and make reads fail the
/// way a broken database would.
/// </summary>
internal sealed class InterceptingTaskStore : TaskStore
{
    private readonly TaskStore _inner = CreateInMemory();

    /// <summary>Runs before every <see cref="GetAsync"/>, with the task id.</summary>
    public Action<string>? OnGet { get; set; }

    /// <summary>When set, <see cref="ListAsync"/> throws it.</summary>
    public Func<Exception>? FailList { get; set; }

    /// <summary>When set, <see cref="ReadAsync"/> throws it.</summary>
    public Func<Exception>? FailRead { get; set; }

    /// <summary>When set, awaited before every <see cref="ReadAsync"/> (a slow disk).</summary>
    public Func<Task>? BeforeRead { get; set; }

    public override ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, CancellationToken cancellationToken = default) =>
        _inner.CreateAsync(task, lease, cancellationToken);

    public override ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default) =>
        _inner.AppendAsync(taskId, drafts, options, cancellationToken);

    public override ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _inner.ContinueAsync(taskId, message, lease, now, cancellationToken);

    public override ValueTask<bool> RenewLeaseAsync(string taskId, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        _inner.RenewLeaseAsync(taskId, owner, expiresAt, cancellationToken);

    public override ValueTask ReleaseLeaseAsync(string taskId, string owner, CancellationToken cancellationToken = default) =>
        _inner.ReleaseLeaseAsync(taskId, owner, cancellationToken);

    public override ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default) =>
        _inner.FindExpiredLeasesAsync(now, maxCount, cancellationToken);

    public override ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _inner.AppendIfLeaseExpiredAsync(taskId, draft, now, cancellationToken);

    public override ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        _inner.DeleteEndedAsync(endedBefore, maxCount, cancellationToken);

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default)
    {
        OnGet?.Invoke(taskId);
        return _inner.GetAsync(taskId, historyLength, includeArtifacts, cancellationToken);
    }

    public override async ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        if (BeforeRead is { } before)
        {
            await before();
        }

        return FailRead is { } fail ? throw fail() : await _inner.ReadAsync(taskId, afterSequence, maxCount, cancellationToken);
    }

    public override ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default) =>
        _inner.WaitForEventsAsync(taskId, afterSequence, cancellationToken);

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default) =>
        FailList is { } fail ? throw fail() : _inner.ListAsync(query, cancellationToken);
}
