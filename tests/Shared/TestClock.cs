using Microsoft.Extensions.Time.Testing;

namespace Herald.Testing;

/// <summary>
/// <see cref="FakeTimeProvider"/> (time and timers move only on <see cref="FakeTimeProvider.Advance"/>)
/// that also tells a test when the code under test has armed a timer, so the test advances the clock
/// exactly when something is waiting on it, instead of guessing with sleeps.
/// </summary>
internal sealed class TestClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TimeSpan, int> _created = [];
    private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Done)> _waiters = [];
    private TaskCompletionSource _anyTimer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TestClock()
        : base(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> release = [];
        lock (_gate)
        {
            _created[dueTime] = _created.GetValueOrDefault(dueTime) + 1;
            _waiters.RemoveAll(w =>
            {
                if (w.DueTime != dueTime || _created[dueTime] < w.Count)
                {
                    return false;
                }

                release.Add(w.Done);
                return true;
            });
        }

        TaskCompletionSource any;
        lock (_gate)
        {
            any = _anyTimer;
            _anyTimer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        any.TrySetResult();
        foreach (var done in release)
        {
            done.TrySetResult();
        }

        return timer;
    }

    /// <summary>How many timers with this due time have been created so far.</summary>
    public int TimersCreated(TimeSpan dueTime)
    {
        lock (_gate)
        {
            return _created.GetValueOrDefault(dueTime);
        }
    }

    /// <summary>Completes once <paramref name="count"/> timers with <paramref name="dueTime"/> have been created in all (bounded).</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1)
    {
        lock (_gate)
        {
            if (_created.GetValueOrDefault(dueTime) >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, done));
            return done.Task.WaitAsync(Bounded.Timeout);
        }
    }

    /// <summary>Completes when the next timer of any due time is created (for code whose waits are jittered).</summary>
    public Task NextTimerAsync()
    {
        lock (_gate)
        {
            return _anyTimer.Task;
        }
    }

    /// <summary>Waits for the next timer with <paramref name="dueTime"/> (one more than have been created so far).</summary>
    public Task WaitForNextTimerAsync(TimeSpan dueTime) => WaitForTimerAsync(dueTime, TimersCreated(dueTime) + 1);
}
