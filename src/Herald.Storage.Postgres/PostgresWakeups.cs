using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The wake-ups of one store instance: one connection <c>LISTEN</c>s on <c>herald_events</c> for every waiter of the
/// instance (a notification says only "task T reached sequence n"; waiters re-read the table). When the connection
/// drops, it reconnects with back-off and then wakes every waiter, so that nothing appended while it was away is
/// missed: a waiter is woken at worst once too often, never too few times. No thread is held per waiter.
/// </summary>
internal sealed class PostgresWakeups : IAsyncDisposable
{
    public const string Channel = "herald_events";

    /// <summary>The payload that wakes every waiter: sent for a task id too long for a notification (8,000 bytes at most).</summary>
    public const string WakeEveryone = "*";

    /// <summary>
    /// The payload that says "a run to do was recorded": no task's payload looks like it (theirs end with a space and a
    /// sequence, or are <see cref="WakeEveryone"/>).
    /// </summary>
    public const string RunsRecorded = "+runs";

    /// <summary>Longest task id, in UTF-8 bytes, that a notification names.</summary>
    public const int MaxNotifiedIdBytes = 7000;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _retryDelay;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Signal> _signals = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstListen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private TaskCompletionSource _runs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _runsNotified;

    public PostgresWakeups(NpgsqlDataSource dataSource, TimeSpan retryDelay)
    {
        _dataSource = dataSource;
        _retryDelay = retryDelay > TimeSpan.Zero ? retryDelay : TimeSpan.FromMilliseconds(200);
        _loop = Task.Run(ListenLoopAsync);
    }

    /// <summary>Completes once the listening connection listened for the first time.</summary>
    public Task Listening => _firstListen.Task;

    /// <summary>
    /// A wake-up for <paramref name="taskId"/>: completes at the next notification for it, or when the listening connection
    /// comes back after a drop. Take it before checking the log, then await it; dispose it when done.
    /// </summary>
    public Registration Register(string taskId)
    {
        lock (_lock)
        {
            if (!_signals.TryGetValue(taskId, out var signal))
            {
                _signals[taskId] = signal = new Signal();
            }

            signal.Waiters++;
            return new Registration(this, taskId, signal);
        }
    }

    /// <summary>
    /// Completes at the next "run recorded" notification, or at once when one came since the last call (so a notification
    /// between a claimer's last claim and its wait is not lost), or when the listener reconnected. For one waiter.
    /// </summary>
    public Task WaitForRunsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_runsNotified)
            {
                _runsNotified = false;
                return Task.CompletedTask;
            }

            return _runs.Task.WaitAsync(cancellationToken);
        }
    }

    private void WakeRuns()
    {
        TaskCompletionSource runs;
        lock (_lock)
        {
            _runsNotified = true;
            runs = _runs;
            _runs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        runs.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        WakeAll();
        _firstListen.TrySetCanceled();
        _stop.Dispose();
    }

    private void Unregister(string taskId, Signal signal)
    {
        lock (_lock)
        {
            if (--signal.Waiters == 0 && _signals.TryGetValue(taskId, out var current) && current == signal)
            {
                _signals.Remove(taskId);
            }
        }
    }

    private void Wake(string payload)
    {
        if (payload == WakeEveryone)
        {
            WakeAll();
            return;
        }

        if (payload == RunsRecorded)
        {
            WakeRuns();
            return;
        }

        Appended?.Invoke();
        var space = payload.LastIndexOf(' ');
        var taskId = space < 0 ? payload : payload[..space];
        Signal? signal;
        lock (_lock)
        {
            _signals.Remove(taskId, out signal);
        }

        // Completed outside the lock; continuations run elsewhere, so the listener never runs a waiter's code.
        if (signal is not null)
        {
            signal.Reached = space > 0 && long.TryParse(payload.AsSpan(space + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var reached)
                ? reached
                : null;
            signal.Completion.TrySetResult();
        }
    }

    /// <summary>Called for every task wake-up (any replica's commit): the store's hint for push delivery.</summary>
    public event Action? Appended;

    private void WakeAll()
    {
        Appended?.Invoke();

        List<Signal> all;
        lock (_lock)
        {
            all = [.. _signals.Values];
            _signals.Clear();
        }

        foreach (var signal in all)
        {
            signal.Completion.TrySetResult();
        }

        WakeRuns();
    }

    private async Task ListenLoopAsync()
    {
        var delay = _retryDelay;
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, e) => Wake(e.Payload);
                    await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    {
                        await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    // Listening again: whatever was appended while not listening is found by the waiters' re-read.
                    _firstListen.TrySetResult();
                    WakeAll();
                    delay = _retryDelay;
                    while (true)
                    {
                        if (!await connection.WaitAsync(PingInterval, stop).ConfigureAwait(false))
                        {
                            // Idle: a round trip proves the connection is still there (a silent network drop ends here).
                            await using var ping = new NpgsqlCommand("SELECT 1", connection);
                            await ping.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Whatever the failure, the listener tries again: a wake-up path that gave up would leave waiters for good.
                // Waiters re-read now (their read fails while the database is away, and the engine heals), and again on reconnect.
                WakeAll();
                try
                {
                    await Task.Delay(delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>The waiters of one task since its last wake-up.</summary>
    internal sealed class Signal
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiters { get; set; }

        /// <summary>The sequence the waking notification named; null when it named none (a reconnect, a long id).</summary>
        public long? Reached { get; set; }
    }

    /// <summary>One waiter's hold on a wake-up.</summary>
    public readonly struct Registration : IDisposable
    {
        private readonly PostgresWakeups _owner;
        private readonly string _taskId;
        private readonly Signal _signal;

        internal Registration(PostgresWakeups owner, string taskId, Signal signal)
        {
            _owner = owner;
            _taskId = taskId;
            _signal = signal;
        }

        public Task Woken => _signal.Completion.Task;

        /// <summary>Once <see cref="Woken"/>: the sequence the notification named, or null when it named none.</summary>
        public long? Reached => _signal.Reached;

        public void Dispose() => _owner?.Unregister(_taskId, _signal);
    }
}
