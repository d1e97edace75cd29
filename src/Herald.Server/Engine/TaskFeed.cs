using Herald.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Engine;

/// <summary>
/// The one reader of a task's log in this process. While anyone here follows the task (streams, the
/// runner watching for a terminal event), one pump waits for the store's wake-up and reads what is new,
/// once, into a bounded window that every local reader takes from: one store read per wake-up whatever
/// the number of readers, and one shared <see cref="TaskEvent"/> (so one serialization) per event.
/// A reader that falls behind the window reads the store itself at its own pace, so a slow reader costs
/// neither memory here nor time for the others.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop source has no timer or wait handle; it is canceled when the last reader leaves, while the pump may still observe it.")]
internal sealed class TaskFeed
{
    private const int PumpBatch = 512;
    private const int WindowEvents = 1024;
    private const long WindowBytes = 8 * 1024 * 1024;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly TaskFeeds _owner;
    private readonly TaskStore _store;
    private readonly Lock _gate = new();
    private readonly Queue<TaskEvent> _window = new();
    private readonly CancellationTokenSource _stop = new();
    private long _windowBytes;
    private long _end;
    private bool _ended;
    private Exception? _failure;
    private long _unavailableSince; // a TimeProvider timestamp; 0 while the store works (read without the lock: hot path)
    private TaskCompletionSource _signal = NewSignal();
    private int _readers;

    public TaskFeed(TaskFeeds owner, TaskStore store, string taskId, long startAfter)
    {
        _owner = owner;
        _store = store;
        TaskId = taskId;
        _end = startAfter;
    }

    public string TaskId { get; }

    /// <summary>Adds a reader; false when the feed is already shutting down (the caller makes a new one).</summary>
    public bool TryAddReader()
    {
        lock (_gate)
        {
            if (_readers < 0)
            {
                return false;
            }

            _readers++;
            return true;
        }
    }

    /// <summary>Removes a reader; the last one stops the pump.</summary>
    public void RemoveReader()
    {
        lock (_gate)
        {
            if (--_readers > 0)
            {
                return;
            }

            _readers = -1; // closed: TryAddReader refuses, a new feed takes over
        }

        _owner.Remove(this);
        _stop.Cancel();
    }

    public void Start() => _ = PumpAsync();

    /// <summary>
    /// Up to <paramref name="maxCount"/> events after <paramref name="position"/> that are available now:
    /// from the window, or from the store when <paramref name="position"/> is behind it. Empty when the
    /// reader is caught up; then <see cref="WaitAsync"/> says when to try again.
    /// </summary>
    public async ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(long position, int maxCount, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (position == _end)
            {
                // Caught up with the pump: nothing new until it reads again (or ever, once the task is gone).
                return _failure is null ? [] : throw _failure;
            }

            var first = _window.Count > 0 ? _window.Peek().Sequence : _end + 1;
            if (position < _end && position + 1 >= first)
            {
                var result = new List<TaskEvent>((int)Math.Min(maxCount, _end - position));
                foreach (var e in _window)
                {
                    if (e.Sequence <= position)
                    {
                        continue;
                    }

                    result.Add(e);
                    if (result.Count == maxCount)
                    {
                        break;
                    }
                }

                return result;
            }
        }

        // Behind the window (a resumed or slow reader), or ahead of the pump (it started from an earlier
        // position than this reader's): read the store directly, at this reader's own pace.
        return await _store.ReadAsync(TaskId, position, maxCount, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes when the pump has read beyond <paramref name="position"/>, the log can have nothing more, or the store's
    /// availability changed (look at <see cref="UnavailableSince"/>). Wake-ups may be spurious: callers look again.
    /// </summary>
    public Task WaitAsync(long position)
    {
        lock (_gate)
        {
            return _end > position || _ended || _failure is not null ? Task.CompletedTask : _signal.Task;
        }
    }

    /// <summary>True when the pump has seen the terminal event: nothing after <see cref="End"/> will ever exist.</summary>
    public bool Ended
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>The last sequence the pump has read.</summary>
    public long End
    {
        get
        {
            lock (_gate)
            {
                return _end;
            }
        }
    }

    /// <summary>
    /// When the store became unavailable for this feed (a <see cref="TimeProvider"/> timestamp), or null while it works.
    /// Readers use it to keep streams alive with keep-alives and to end them after a bounded outage.
    /// </summary>
    public long? UnavailableSince => Volatile.Read(ref _unavailableSince) is var since and not 0 ? since : null;

    private async Task PumpAsync()
    {
        var stop = _stop.Token;
        var time = _owner.Time;
        var retry = new RetryBackoff(FirstRetryDelay, MaxRetryDelay, jitter: true);
        Task? pendingWait = null;
        long pendingFrom = -1;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                long from;
                lock (_gate)
                {
                    from = _end;
                }

                // Wake-ups are hints: wait for one, but re-read after the fallback interval anyway, so a wake-up that a
                // store's notification channel lost delays events by at most that much. A wait that timed out is kept
                // and reused, so an idle task holds one pending wait, not one per interval.
                if (pendingWait is null || pendingFrom != from || pendingWait.IsCompleted)
                {
                    if (pendingWait is { IsFaulted: true })
                    {
                        await pendingWait.ConfigureAwait(false); // rethrows the store's error
                    }

                    pendingWait = _store.WaitForEventsAsync(TaskId, from, stop).AsTask();
                    pendingFrom = from;
                }

                try
                {
                    await pendingWait.WaitAsync(_owner.WakeupFallback, time, stop).ConfigureAwait(false);
                    pendingWait = null;
                }
                catch (TimeoutException)
                {
                }

                var batch = await _store.ReadAsync(TaskId, from, PumpBatch, stop).ConfigureAwait(false);
                Healthy();
                retry.Reset();
                if (batch.Count == 0)
                {
                    // Woken with nothing to read: the task may be gone (retention) - the read above would have said so -
                    // or the wake-up was for an append that is not visible yet, or the re-read found nothing; wait again.
                    if (await _store.GetAsync(TaskId, 0, false, stop).ConfigureAwait(false) is null)
                    {
                        throw Protocol.A2AException.TaskNotFound(TaskId);
                    }

                    continue;
                }

                TaskCompletionSource release;
                bool ended;
                lock (_gate)
                {
                    foreach (var e in batch)
                    {
                        if (e.Sequence <= _end)
                        {
                            continue;
                        }

                        _window.Enqueue(e);
                        _windowBytes += e.GetV1Json().Length;
                        _end = e.Sequence;
                        _ended |= e.IsTerminal;
                    }

                    while (_window.Count > WindowEvents || (_windowBytes > WindowBytes && _window.Count > 1))
                    {
                        _windowBytes -= _window.Dequeue().GetV1Json().Length;
                    }

                    ended = _ended;
                    release = _signal;
                    _signal = NewSignal();
                }

                release.TrySetResult();
                if (ended)
                {
                    return; // nothing follows a terminal event
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Protocol.A2AException ex)
            {
                // The task is gone (deleted by retention): final. The feed leaves the cache so nobody joins it again.
                Fail(ex);
                _owner.Remove(this);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The store is unavailable (or failed in a way this feed cannot judge): never remembered for good. Readers
                // are told (they send keep-alives, then end after a bounded outage), and the pump tries again with back-off.
                pendingWait = null;
                Unavailable(ex, time);
                try
                {
                    await Task.Delay(retry.Next(), time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Healthy()
    {
        if (Volatile.Read(ref _unavailableSince) == 0)
        {
            return; // the common case: nothing to announce, no lock
        }

        TaskCompletionSource? release = null;
        lock (_gate)
        {
            if (_unavailableSince != 0)
            {
                Volatile.Write(ref _unavailableSince, 0);
                release = _signal;
                _signal = NewSignal();
            }
        }

        release?.TrySetResult();
    }

    private void Unavailable(Exception ex, TimeProvider time)
    {
        TaskCompletionSource release;
        bool first;
        lock (_gate)
        {
            first = _unavailableSince == 0;
            if (first)
            {
                Volatile.Write(ref _unavailableSince, Math.Max(1, time.GetTimestamp()));
            }
            release = _signal;
            _signal = NewSignal();
        }

        if (first)
        {
            if (Storage.TaskStore.IsTransient(ex))
            {
                Log.FeedUnavailable(_owner.Logger, TaskId, ex);
            }
            else
            {
                Log.FeedFailed(_owner.Logger, TaskId, ex);
            }
        }

        release.TrySetResult(); // readers look again: they see the outage and decide what to send
    }

    private void Fail(Exception ex)
    {
        TaskCompletionSource release;
        lock (_gate)
        {
            _failure = ex;
            release = _signal;
            _signal = NewSignal();
        }

        release.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The feeds of the tasks followed in this process, one per task.</summary>
internal sealed class TaskFeeds(TaskStore store, ILogger logger, TimeProvider? time = null, TimeSpan? wakeupFallback = null)
{
    /// <summary>The clock of the pumps' back-off and fallback re-reads.</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>How long a pump waits for a wake-up before it re-reads the log anyway.</summary>
    public TimeSpan WakeupFallback { get; } = wakeupFallback ?? TimeSpan.FromSeconds(15);

    private readonly Dictionary<string, TaskFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ILogger Logger => logger;

    /// <summary>Number of tasks with a live feed (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _feeds.Count;
            }
        }
    }

    /// <summary>Joins (or starts) the task's feed; dispose the handle to leave it.</summary>
    public FeedReader Open(string taskId, long position)
    {
        while (true)
        {
            TaskFeed feed;
            var created = false;
            lock (_gate)
            {
                if (!_feeds.TryGetValue(taskId, out feed!))
                {
                    feed = new TaskFeed(this, store, taskId, position);
                    _feeds[taskId] = feed;
                    created = true;
                }
            }

            if (feed.TryAddReader())
            {
                if (created)
                {
                    feed.Start();
                }

                return new FeedReader(feed);
            }

            // That feed was closing as we found it; it removes itself, so the next look finds none or a new one.
            lock (_gate)
            {
                if (_feeds.TryGetValue(taskId, out var current) && ReferenceEquals(current, feed))
                {
                    _feeds.Remove(taskId);
                }
            }
        }
    }

    public void Remove(TaskFeed feed)
    {
        lock (_gate)
        {
            if (_feeds.TryGetValue(feed.TaskId, out var current) && ReferenceEquals(current, feed))
            {
                _feeds.Remove(feed.TaskId);
            }
        }
    }
}

/// <summary>One reader's membership of a feed.</summary>
internal sealed class FeedReader(TaskFeed feed) : IDisposable
{
    private int _disposed;

    public TaskFeed Feed => feed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            feed.RemoveReader();
        }
    }
}
