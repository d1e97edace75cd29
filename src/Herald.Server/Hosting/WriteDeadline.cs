namespace Herald.Server.Hosting;

/// <summary>
/// Herald's write deadline for one response (<see cref="HeraldOptions.WriteStallTimeout"/>), shared by every binding:
/// a write that is still pending after the timeout calls <c>onExpired</c> once (the binding aborts the connection).
/// Unlike a minimum data rate, nothing earlier counts: a client that read megabytes fast and then stops is cut as soon
/// as one write waits too long. The timer runs only while a write is pending, so idle streams are never cut, and a write
/// that completes at once (the common case: the bytes fit the transport's buffers) costs no timer operation.
/// One timer per response, re-armed per pending write; it runs on the server's <see cref="TimeProvider"/>.
/// </summary>
public sealed class WriteDeadline : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenRegistration _registration;
    private readonly Action _onExpired;
    private int _expired;

    /// <param name="timeout">Longest a write may stay pending.</param>
    /// <param name="timeProvider">The server's clock.</param>
    /// <param name="onExpired">Called once, from a timer thread, when a write has waited <paramref name="timeout"/>.</param>
    public WriteDeadline(TimeSpan timeout, TimeProvider timeProvider, Action onExpired)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(onExpired);
        _timeout = timeout;
        _onExpired = onExpired;
        _timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _registration = _timer.Token.UnsafeRegister(static state => ((WriteDeadline)state!).Expire(), this);
    }

    /// <summary>True once a write has waited past the deadline.</summary>
    public bool Expired => Volatile.Read(ref _expired) != 0;

    /// <summary>Waits for a pending write (or flush) under the deadline.</summary>
    public ValueTask<T> WhenWritten<T>(ValueTask<T> pending) => pending.IsCompleted ? pending : AwaitAsync(pending);

    /// <summary>Waits for a pending write (or flush) under the deadline.</summary>
    public Task WhenWritten(Task pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return pending.IsCompleted ? pending : AwaitAsync(pending);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _registration.Dispose();
        _timer.Dispose();
    }

    private async ValueTask<T> AwaitAsync<T>(ValueTask<T> pending)
    {
        Arm();
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            Disarm();
        }
    }

    private async Task AwaitAsync(Task pending)
    {
        Arm();
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            Disarm();
        }
    }

    private void Arm()
    {
        if (_timeout != Timeout.InfiniteTimeSpan)
        {
            _timer.CancelAfter(_timeout);
        }
    }

    private void Disarm()
    {
        if (!Expired)
        {
            _timer.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private void Expire()
    {
        if (Interlocked.Exchange(ref _expired, 1) == 0)
        {
            _onExpired();
        }
    }
}
