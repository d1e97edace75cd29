using System.Collections.Concurrent;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// Tasks in process memory: for tests and embedding. Each task has its own lock, list of events and
/// projection; readers are woken by a per-task signal and never block the appender.
/// </summary>
internal sealed class InMemoryTaskStore : TaskStore
{
    private readonly ConcurrentDictionary<string, TaskLog> _tasks = new(StringComparer.Ordinal);

    public override ValueTask<TaskEvent> CreateAsync(AgentTask task, CancellationToken cancellationToken = default)
    {
        var created = TaskEvent.Created(1, task, task.Status.Timestamp ?? DateTimeOffset.UtcNow);
        var log = new TaskLog(new TaskProjection(task), created);
        if (!_tasks.TryAdd(task.Id, log))
        {
            throw new InvalidOperationException($"Task '{task.Id}' already exists.");
        }

        return ValueTask.FromResult(created);
    }

    public override ValueTask<TaskEvent> AppendAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Find(taskId).Append(draft));

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tasks.TryGetValue(taskId, out var log) ? log.Snapshot(historyLength, includeArtifacts) : null);

    public override ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<TaskEvent>>(Find(taskId).Read(afterSequence, maxCount));

    public override ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default)
    {
        var wait = Find(taskId).WaitAfter(afterSequence);
        return wait.IsCompleted ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        // Each log is summarised under its own lock; the page is then cut from a consistent sort.
        var matches = new List<(DateTimeOffset Timestamp, string Id, TaskLog Log)>();
        foreach (var log in _tasks.Values)
        {
            var (id, contextId, state, timestamp) = log.Summary();
            if (query.ContextId is not null && query.ContextId != contextId)
            {
                continue;
            }

            if (query.State is { } wanted && wanted != state)
            {
                continue;
            }

            if (query.StatusTimestampAfter is { } after && timestamp <= after)
            {
                continue;
            }

            matches.Add((timestamp, id, log));
        }

        matches.Sort(static (a, b) =>
        {
            var byTime = b.Timestamp.CompareTo(a.Timestamp);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Id, b.Id);
        });

        var start = 0;
        if (query.After is { } cursor)
        {
            while (start < matches.Count && !IsAfter(matches[start], cursor))
            {
                start++;
            }
        }

        var count = Math.Min(query.PageSize, matches.Count - start);
        var tasks = new AgentTask[count];
        for (var i = 0; i < count; i++)
        {
            tasks[i] = matches[start + i].Log.Snapshot(query.HistoryLength, query.IncludeArtifacts).Task;
        }

        TaskCursor? next = null;
        if (start + count < matches.Count && count > 0)
        {
            var last = matches[start + count - 1];
            next = new TaskCursor(last.Timestamp, last.Id);
        }

        return ValueTask.FromResult(new TaskPage(tasks, next, matches.Count));
    }

    private static bool IsAfter((DateTimeOffset Timestamp, string Id, TaskLog Log) item, TaskCursor cursor)
    {
        var byTime = item.Timestamp.CompareTo(cursor.StatusTimestamp);
        return byTime < 0 || (byTime == 0 && string.CompareOrdinal(item.Id, cursor.TaskId) > 0);
    }

    private TaskLog Find(string taskId) =>
        _tasks.TryGetValue(taskId, out var log) ? log : throw A2AException.TaskNotFound(taskId);

    private sealed class TaskLog
    {
        private readonly Lock _gate = new();
        private readonly List<TaskEvent> _events = [];
        private readonly TaskProjection _projection;

        // Completed and replaced on every append: all waiters share one signal, appenders never wait.
        private TaskCompletionSource _signal = NewSignal();

        public TaskLog(TaskProjection projection, TaskEvent created)
        {
            _projection = projection;
            _events.Add(created);
        }

        public TaskEvent Append(TaskEvent draft)
        {
            TaskCompletionSource toRelease;
            TaskEvent appended;
            lock (_gate)
            {
                if (_projection.Status.State.IsTerminal())
                {
                    throw new TaskAlreadyTerminalException(_projection.Id, _projection.Status.State);
                }

                appended = draft.WithSequence(_events.Count + 1);
                _projection.Apply(appended);
                _events.Add(appended);
                toRelease = _signal;
                _signal = NewSignal();
            }

            toRelease.TrySetResult();
            return appended;
        }

        public List<TaskEvent> Read(long afterSequence, int maxCount)
        {
            lock (_gate)
            {
                // Positions past the end (a client's Last-Event-ID may be anything) read nothing; no int overflow.
                if (afterSequence >= _events.Count)
                {
                    return [];
                }

                var start = (int)Math.Max(0, afterSequence);
                var count = Math.Min(maxCount, _events.Count - start);
                return count <= 0 ? [] : _events.GetRange(start, count);
            }
        }

        public Task WaitAfter(long afterSequence)
        {
            lock (_gate)
            {
                return _events.Count > afterSequence ? Task.CompletedTask : _signal.Task;
            }
        }

        public TaskSnapshot Snapshot(int? historyLength, bool includeArtifacts)
        {
            lock (_gate)
            {
                return new TaskSnapshot(_projection.ToTask(historyLength, includeArtifacts), _projection.Sequence);
            }
        }

        public (string Id, string ContextId, TaskState State, DateTimeOffset Timestamp) Summary()
        {
            lock (_gate)
            {
                return (_projection.Id, _projection.ContextId, _projection.Status.State, _projection.StatusTimestamp);
            }
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
