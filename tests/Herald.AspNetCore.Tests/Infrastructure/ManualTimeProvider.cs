namespace Herald.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A clock whose time and timers move only when a test calls <see cref="Advance"/>. Tests can wait
/// until the server has armed a timer (e.g. the keep-alive wait of an idle stream) before advancing.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<(TimeSpan DueTime, TaskCompletionSource Armed)> _waiters = [];
    private DateTimeOffset _now;

    public ManualTimeProvider(DateTimeOffset start) => _now = start;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes when a timer created with <paramref name="dueTime"/> is armed and has not fired.</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime)
    {
        lock (_gate)
        {
            if (_timers.Any(t => t.IsPending && t.RequestedDueTime == dueTime))
            {
                return Task.CompletedTask;
            }

            var armed = Bounded.NewSignal();
            _waiters.Add((dueTime, armed));
            return armed.Task;
        }
    }

    /// <summary>Moves time forward and fires, outside the lock, every timer that came due.</summary>
    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.IsPending && t.DueAt <= _now).ToList();
            foreach (var timer in due)
            {
                timer.Reschedule();
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Arm(ManualTimer timer)
    {
        List<TaskCompletionSource> release = [];
        lock (_gate)
        {
            if (!_timers.Contains(timer))
            {
                _timers.Add(timer);
            }

            timer.DueAt = _now + timer.RequestedDueTime;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].DueTime == timer.RequestedDueTime)
                {
                    release.Add(_waiters[i].Armed);
                    _waiters.RemoveAt(i);
                }
            }
        }

        release.ForEach(r => r.TrySetResult());
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public TimeSpan RequestedDueTime { get; private set; }

        public DateTimeOffset DueAt { get; set; }

        public bool IsPending { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            RequestedDueTime = dueTime;
            _period = period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                IsPending = false;
                owner.Remove(this);
                return true;
            }

            IsPending = true;
            owner.Arm(this);
            return true;
        }

        /// <summary>Called under the owner's lock when the timer comes due.</summary>
        public void Reschedule()
        {
            if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
            {
                IsPending = false;
            }
            else
            {
                DueAt += _period;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            IsPending = false;
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
