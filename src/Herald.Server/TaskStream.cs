using System.Diagnostics;
using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>What <see cref="TaskStream.ReadAsync"/> produced.</summary>
public enum TaskStreamRead
{
    /// <summary>Events to deliver were added to the caller's list.</summary>
    Events = 0,

    /// <summary>Nothing happened for the keep-alive interval: send the binding's keep-alive.</summary>
    KeepAlive = 1,

    /// <summary>The stream is over: the last delivered event ended it, the server is shutting down, or there was never anything to stream.</summary>
    End = 2,
}

/// <summary>
/// One subscriber's view of a task's log, from a position: the single stream implementation behind every
/// binding (JSON-RPC, REST, gRPC, any protocol version) and <see cref="IHeraldTasks.SubscribeAsync"/>.
/// It owns the rules: where a stream starts (a snapshot, or the events after a client's last event id),
/// that events come in log order exactly once, that a terminal event (and an interrupted one, unless
/// asked otherwise) ends the stream after it is delivered, when to send a keep-alive, and how streams end
/// at shutdown (between events, after the final event when there is one, within the shutdown timeout).
/// Bindings only frame what it returns.
/// </summary>
public sealed class TaskStream : IAsyncDisposable
{
    private const int ReadBatch = 256;

    private readonly TaskEngine? _engine;
    private readonly string _taskId = "";
    private readonly FeedReader? _feed;
    private readonly bool _stopAtInterrupt;
    private readonly TimeSpan _keepAlive;
    private long _position;
    private bool _completed;
    private long? _unavailableSince;
    private Activity? _activity;
    private long _delivered;
    private int _disposed;
    private string? _binding;
    private RetryBackoff _retry = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));

    internal TaskStream(TaskEngine engine, TaskSnapshot? snapshot, string taskId, long position, bool stopAtInterrupt, bool keepAlives, bool completed,
        TaskTraceContext? origin = null)
    {
        _engine = engine;
        _taskId = taskId;
        TaskId = taskId;
        Snapshot = snapshot;
        _position = position;
        _stopAtInterrupt = stopAtInterrupt;
        _keepAlive = keepAlives ? engine.Options.KeepAliveInterval : Timeout.InfiniteTimeSpan;
        _completed = completed;
        if (!completed)
        {
            _feed = engine.Feeds.Open(taskId, position);
        }

        // The stream's whole life is one span, a child of the request that opened it and linked to the request that created
        // or last continued the task (the context the store keeps with it); it does not become the current span.
        if (Telemetry.Source.HasListeners())
        {
            _activity = Telemetry.StartDetached("herald.stream", links: Telemetry.LinkTo(origin ?? snapshot?.TraceContext));
        }

        if (_activity is not null)
        {
            _activity.SetTag("a2a.task.id", taskId);
            _activity.SetTag(snapshot is null ? "herald.stream.resumed_after" : "herald.stream.snapshot_at", position);
        }

        if (Telemetry.StreamsOpen.Enabled)
        {
            // By binding: the A2A operation that opens the stream (none for in-process subscriptions).
            _binding = A2AOperation.Current?.Binding ?? "in-process";
            Telemetry.StreamsOpen.Add(1, new KeyValuePair<string, object?>("a2a.binding", _binding));
        }
    }

    private TaskStream(Message reply)
    {
        Reply = reply;
        _completed = true;
    }

    /// <summary>The task followed; null for a <see cref="Reply"/>.</summary>
    public string? TaskId { get; }

    /// <summary>
    /// A streamed send that the agent answered with a direct message instead of a task: the stream's only
    /// item. <see cref="ReadAsync"/> then ends at once.
    /// </summary>
    public Message? Reply { get; }

    /// <summary>
    /// The task to send first (its event id is <see cref="TaskSnapshot.Sequence"/>); null when resuming
    /// after a client's last event id, where only the events after it are sent.
    /// </summary>
    public TaskSnapshot? Snapshot { get; }

    /// <summary>Also deliver the events that are not streamed on the wire (created, history messages), for in-process readers.</summary>
    internal bool IncludeHistoryEvents { get; set; }

    /// <summary>The sequence of the last event read (or of the snapshot): the resume position.</summary>
    public long Position => _position;

    internal static TaskStream ForReply(Message reply) => new(reply);

    /// <summary>
    /// Waits for the next events and adds those to deliver (status and artifact updates, in order) to
    /// <paramref name="events"/>. Returns <see cref="TaskStreamRead.Events"/> with at least one event,
    /// <see cref="TaskStreamRead.KeepAlive"/> when the keep-alive interval passed without any, or
    /// <see cref="TaskStreamRead.End"/> once the stream is over (after the event that ended it was returned).
    /// </summary>
    /// <exception cref="A2AException">The task no longer exists (-32001), e.g. deleted by retention while a reader was far behind.</exception>
    public async ValueTask<TaskStreamRead> ReadAsync(List<TaskEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_completed || _engine is null || _feed is null)
        {
            return TaskStreamRead.End;
        }

        var feed = _feed.Feed;
        var engine = _engine;
        var waitedSince = engine.Time.GetTimestamp();
        while (true)
        {
            if (engine.StreamsDeadline.IsCancellationRequested)
            {
                return Complete(); // shutdown has run out of time: end here, between events
            }

            var closing = engine.StreamsClosing.IsCancellationRequested;
            IReadOnlyList<TaskEvent> batch;
            try
            {
                batch = await feed.ReadAsync(_position, ReadBatch, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0 && closing)
                {
                    // Shutting down: the final event (the cancellation shutdown just appended) may be in the store before
                    // the feed's pump has read it. Look at the store itself before deciding there is nothing more.
                    batch = await engine.Store.ReadAsync(_taskId, _position, ReadBatch, cancellationToken).ConfigureAwait(false);
                }

                _unavailableSince = null;
            }
            catch (Exception ex) when (TaskStore.IsTransient(ex))
            {
                // A reader behind the feed's window reads the store itself: the store is unavailable. Like an outage seen by
                // the feed, this keeps the stream alive with keep-alives, then ends it after the bounded outage.
                _unavailableSince ??= engine.Time.GetTimestamp();
                if (closing)
                {
                    return Complete();
                }

                ThrowIfOutageTooLong(engine, _unavailableSince);
                var pause = Min(_retry.Next(), KeepAliveRemaining(engine, waitedSince));
                if (pause <= TimeSpan.Zero)
                {
                    return TaskStreamRead.KeepAlive;
                }

                await Task.Delay(pause, engine.Time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (batch.Count > 0)
            {
                var added = false;
                foreach (var e in batch)
                {
                    if (e.Sequence <= _position)
                    {
                        continue;
                    }

                    _position = e.Sequence;
                    if (!e.IsStreamed && !IncludeHistoryEvents)
                    {
                        continue;
                    }

                    events.Add(e);
                    added = true;
                    _delivered++;
                    if (e.IsTerminal || (_stopAtInterrupt && e.EndsStream))
                    {
                        _completed = true;
                        break;
                    }
                }

                if (added)
                {
                    if (Telemetry.StreamLag.Enabled)
                    {
                        Telemetry.StreamLag.Record(Math.Max(0, feed.End - _position));
                    }

                    return TaskStreamRead.Events;
                }

                continue; // only history messages: not streamed
            }

            if (feed.Ended && _position >= feed.End)
            {
                return Complete(); // after the terminal event: nothing will ever follow
            }

            if (closing)
            {
                return Complete(); // shutting down and caught up with the store: the final event, if any, was delivered
            }

            // Caught up, but the store is unavailable: keep-alives meanwhile, and an end with an error after the bounded outage.
            ThrowIfOutageTooLong(engine, feed.UnavailableSince);

            // Caught up: wait for the pump, a keep-alive tick, shutdown, or the caller.
            var wait = feed.WaitAsync(_position);
            if (!wait.IsCompleted)
            {
                var remaining = KeepAliveRemaining(engine, waitedSince);
                if (feed.UnavailableSince is not null)
                {
                    // Look again at least every second during an outage, to end the stream on time.
                    remaining = Min(remaining, TimeSpan.FromSeconds(1));
                }

                if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
                {
                    return TaskStreamRead.KeepAlive;
                }

                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, engine.StreamsClosing);
                try
                {
                    await wait.WaitAsync(remaining, engine.Time, linked.Token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Either the keep-alive is due, or (during an outage) it is time to look at the outage again.
                    var left = KeepAliveRemaining(engine, waitedSince);
                    if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                    {
                        return TaskStreamRead.KeepAlive;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Shutdown began: loop once more to deliver what is there, then end.
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _completed = true;
        _feed?.Dispose();
        if (_engine is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_binding is not null)
            {
                Telemetry.StreamsOpen.Add(-1, new KeyValuePair<string, object?>("a2a.binding", _binding));
            }
            if (_activity is not null)
            {
                _activity.SetTag("herald.stream.events", _delivered);
                _activity.SetTag("herald.stream.last_event_id", _position);
                _activity.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    private TimeSpan KeepAliveRemaining(TaskEngine engine, long waitedSince) => _keepAlive == Timeout.InfiniteTimeSpan
        ? Timeout.InfiniteTimeSpan
        : _keepAlive - engine.Time.GetElapsedTime(waitedSince);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : a < b ? a : b;

    /// <summary>Ends the stream with an error once the store has been unavailable for longer than the configured outage.</summary>
    private void ThrowIfOutageTooLong(TaskEngine engine, long? unavailableSince)
    {
        if (unavailableSince is not { } since)
        {
            return;
        }

        var outage = engine.Time.GetElapsedTime(since);
        if (outage >= engine.Options.StoreOutageStreamTimeout)
        {
            _completed = true;
            throw new A2AException(A2AErrorCodes.InternalError,
                $"The task store has been unavailable for {outage.TotalSeconds:0} s, so this stream ends here; resume it later with Last-Event-ID: {_position}.");
        }
    }

    private TaskStreamRead Complete()
    {
        _completed = true;
        return TaskStreamRead.End;
    }
}
