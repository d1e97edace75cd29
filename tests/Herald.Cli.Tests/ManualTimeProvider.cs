using System.Threading.Channels;

namespace Herald.Cli.Tests;

/// <summary>
/// A clock whose timers fire only when a test says so. Each created timer is published, so a test
/// knows the code under test is now waiting (no guessing with sleeps) and can fire it.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Channel<ManualTimer> _created = Channel.CreateUnbounded<ManualTimer>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, dueTime);
        _created.Writer.TryWrite(timer);
        return timer;
    }

    /// <summary>The next timer the code under test creates, within a bounded wait.</summary>
    public async Task<ManualTimer> NextTimerAsync(TimeSpan timeout) =>
        await _created.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    internal sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan dueTime) : ITimer
    {
        public TimeSpan DueTime { get; } = dueTime;

        public bool Disposed { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => !Disposed;

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
