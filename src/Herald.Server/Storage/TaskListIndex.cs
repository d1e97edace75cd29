using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>A task's place in the list order (newest status first, then id) and what ListTasks filters on.</summary>
internal sealed record TaskListEntry(string TaskId, string ContextId, TaskState State, long StatusTicks, TaskOwner? Owner = null);

/// <summary>
/// The in-memory store's ListTasks indexes: every task, per context and per state, each sorted in list
/// order, so a page is a range read (keyset paging) rather than a sort of every task; the same again per owner, so
/// that a caller's page and total cost what its own tasks cost; and a queue of ended tasks by end time for retention.
/// One lock; entries are replaced only on status changes.
/// </summary>
internal sealed class TaskListIndex
{
    private readonly Lock _gate = new();
    private readonly Partition _everyone = new();
    private readonly Dictionary<TaskOwner, Partition> _byOwner = [];
    private readonly PriorityQueue<TaskListEntry, long> _ended = new();

    public void Add(TaskListEntry entry)
    {
        lock (_gate)
        {
            AddLocked(entry);
        }
    }

    public void Update(TaskListEntry old, TaskListEntry current)
    {
        lock (_gate)
        {
            RemoveLocked(old);
            AddLocked(current);
        }
    }

    /// <summary>Takes up to <paramref name="maxCount"/> ended tasks whose end is before <paramref name="endedBefore"/> out of every index.</summary>
    public List<TaskListEntry> RemoveEnded(DateTimeOffset endedBefore, int maxCount)
    {
        var removed = new List<TaskListEntry>();
        lock (_gate)
        {
            while (removed.Count < maxCount && _ended.TryPeek(out var entry, out var endTicks) && endTicks < endedBefore.UtcTicks)
            {
                _ended.Dequeue();
                RemoveLocked(entry);
                removed.Add(entry);
            }
        }

        return removed;
    }

    public (List<TaskListEntry> Entries, TaskCursor? Next, int Total) Page(TaskQuery query)
    {
        lock (_gate)
        {
            Partition? partition = _everyone;
            if (query.Owner is { } owner && !_byOwner.TryGetValue(owner, out partition))
            {
                return ([], null, 0);
            }

            SortedSet<TaskListEntry> source;
            var filterState = false;
            if (query.ContextId is { } contextId)
            {
                if (!partition.ByContext.TryGetValue(contextId, out var inContext))
                {
                    return ([], null, 0);
                }

                source = inContext;
                filterState = query.State is not null;
            }
            else if (query.State is { } state)
            {
                if (!partition.ByState.TryGetValue(state, out var inState))
                {
                    return ([], null, 0);
                }

                source = inState;
            }
            else
            {
                source = partition.All;
            }

            // Newest first: tasks updated strictly after the filter instant come first, so it bounds the range's end.
            var range = source;
            if (query.StatusTimestampAfter is { } after)
            {
                var last = new TaskListEntry(ListOrder.AfterAll, "", TaskState.Unspecified, after.UtcTicks + 1);
                if (source.Count == 0 || ListOrder.Instance.Compare(source.Min!, last) > 0)
                {
                    return ([], null, 0);
                }

                range = source.GetViewBetween(source.Min!, last);
            }

            var total = filterState ? Count(range, query.State!.Value) : range.Count;

            var start = range;
            if (query.After is { } cursor)
            {
                var from = new TaskListEntry(cursor.TaskId, "", TaskState.Unspecified, cursor.StatusTimestamp.UtcTicks);
                if (range.Count == 0 || ListOrder.Instance.Compare(from, range.Max!) > 0)
                {
                    return ([], null, total);
                }

                start = range.GetViewBetween(ListOrder.Instance.Compare(from, range.Min!) < 0 ? range.Min! : from, range.Max!);
            }

            var page = new List<TaskListEntry>(Math.Min(query.PageSize, 128));
            var more = false;
            foreach (var entry in start)
            {
                if (query.After is { } c && entry.StatusTicks == c.StatusTimestamp.UtcTicks && entry.TaskId == c.TaskId)
                {
                    continue; // the cursor is the last task of the previous page
                }

                if (filterState && entry.State != query.State)
                {
                    continue;
                }

                if (page.Count == query.PageSize)
                {
                    more = true;
                    break;
                }

                page.Add(entry);
            }

            TaskCursor? next = null;
            if (more)
            {
                var lastOnPage = page[^1];
                next = new TaskCursor(new DateTimeOffset(lastOnPage.StatusTicks, TimeSpan.Zero), lastOnPage.TaskId);
            }

            return (page, next, total);
        }
    }

    private static int Count(SortedSet<TaskListEntry> range, TaskState state)
    {
        var count = 0;
        foreach (var entry in range)
        {
            if (entry.State == state)
            {
                count++;
            }
        }

        return count;
    }

    private void AddLocked(TaskListEntry entry)
    {
        _everyone.Add(entry);
        var owner = entry.Owner ?? TaskOwner.Anonymous;
        if (!_byOwner.TryGetValue(owner, out var own))
        {
            _byOwner[owner] = own = new Partition();
        }

        own.Add(entry);
        if (entry.State.IsTerminal())
        {
            _ended.Enqueue(entry, entry.StatusTicks);
        }
    }

    private void RemoveLocked(TaskListEntry entry)
    {
        _everyone.Remove(entry);
        var owner = entry.Owner ?? TaskOwner.Anonymous;
        if (_byOwner.TryGetValue(owner, out var own) && own.Remove(entry))
        {
            _byOwner.Remove(owner);
        }
    }

    /// <summary>One set of indexes: all tasks, per context and per state, each in list order.</summary>
    private sealed class Partition
    {
        public SortedSet<TaskListEntry> All { get; } = new(ListOrder.Instance);

        public Dictionary<string, SortedSet<TaskListEntry>> ByContext { get; } = new(StringComparer.Ordinal);

        public Dictionary<TaskState, SortedSet<TaskListEntry>> ByState { get; } = [];

        public void Add(TaskListEntry entry)
        {
            All.Add(entry);
            if (!ByContext.TryGetValue(entry.ContextId, out var inContext))
            {
                ByContext[entry.ContextId] = inContext = new SortedSet<TaskListEntry>(ListOrder.Instance);
            }

            inContext.Add(entry);
            if (!ByState.TryGetValue(entry.State, out var inState))
            {
                ByState[entry.State] = inState = new SortedSet<TaskListEntry>(ListOrder.Instance);
            }

            inState.Add(entry);
        }

        /// <summary>Takes <paramref name="entry"/> out; true when the partition is empty afterwards.</summary>
        public bool Remove(TaskListEntry entry)
        {
            All.Remove(entry);
            if (ByContext.TryGetValue(entry.ContextId, out var inContext))
            {
                inContext.Remove(entry);
                if (inContext.Count == 0)
                {
                    ByContext.Remove(entry.ContextId);
                }
            }

            if (ByState.TryGetValue(entry.State, out var inState))
            {
                inState.Remove(entry);
                if (inState.Count == 0)
                {
                    ByState.Remove(entry.State);
                }
            }

            return All.Count == 0;
        }
    }

    /// <summary>Newest status first, then task id (ordinal). <see cref="AfterAll"/> as an id sorts after every real id.</summary>
    private sealed class ListOrder : IComparer<TaskListEntry>
    {
        public const string AfterAll = "\uFFFF\uFFFF";

        public static readonly ListOrder Instance = new();

        public int Compare(TaskListEntry? x, TaskListEntry? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            var byTime = y!.StatusTicks.CompareTo(x!.StatusTicks);
            if (byTime != 0)
            {
                return byTime;
            }

            var xAfter = ReferenceEquals(x.TaskId, AfterAll);
            var yAfter = ReferenceEquals(y.TaskId, AfterAll);
            if (xAfter || yAfter)
            {
                return xAfter == yAfter ? 0 : xAfter ? 1 : -1;
            }

            return string.CompareOrdinal(x.TaskId, y.TaskId);
        }
    }
}
