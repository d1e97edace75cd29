using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>
/// The server-wide memory bound on answers, shared by every binding (JSON-RPC, HTTP+JSON, gRPC): bytes of responses
/// in flight (<see cref="HeraldOptions.MaxResponseBytesInFlight"/>) and whole tasks being built at once
/// (<see cref="HeraldOptions.MaxConcurrentTaskSnapshots"/>). Bindings reserve a response's encoded size before they
/// write it and release it once the write completed or failed; a reservation that does not fit waits
/// <see cref="HeraldOptions.ResponseBudgetWait"/> on the server's <see cref="TimeProvider"/>, then fails, and the
/// binding answers "busy, retry". Resolve it from DI after <c>services.AddHerald()</c>.
/// </summary>
public sealed class ResponseBudget : IDisposable
{
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private readonly TimeSpan _wait;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _snapshots;
    private long _inFlight;
    private int _waiters;
    private TaskCompletionSource _released = NewSignal();

    internal ResponseBudget(IOptions<HeraldOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _capacity = o.MaxResponseBytesInFlight;
        _wait = o.ResponseBudgetWait;
        _time = time;
        _snapshots = new SemaphoreSlim(Math.Max(1, o.MaxConcurrentTaskSnapshots));
    }

    /// <summary>Bytes reserved by responses being written now.</summary>
    public long BytesInFlight => Volatile.Read(ref _inFlight);

    /// <summary>How long a client told "busy" should wait before it asks again.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reserves <paramref name="bytes"/> for a response about to be written; waits for room up to
    /// <see cref="HeraldOptions.ResponseBudgetWait"/>. False: no room (answer "busy"). A response larger than the whole
    /// budget is admitted when nothing else is in flight. Each true answer needs one <see cref="Release"/> of the same size.
    /// </summary>
    public async ValueTask<bool> TryReserveAsync(long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (TryTake(bytes))
        {
            return true;
        }

        var started = _time.GetTimestamp();
        while (true)
        {
            Task released;
            lock (_lock)
            {
                _waiters++;
                released = _released.Task;
            }

            try
            {
                // Checked again after taking the signal: a release between the first try and here is not missed.
                if (TryTake(bytes))
                {
                    return true;
                }

                var left = _wait == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _wait - _time.GetElapsedTime(started);
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    return false;
                }

                try
                {
                    await released.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return TryTake(bytes);
                }
            }
            finally
            {
                lock (_lock)
                {
                    _waiters--;
                }
            }
        }
    }

    /// <summary>Returns a reservation made by <see cref="TryReserveAsync"/> and wakes the responses waiting for room.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return;
        }

        Interlocked.Add(ref _inFlight, -bytes);
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (_waiters > 0)
            {
                wake = _released;
                _released = NewSignal();
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>
    /// Builds a whole task (or page of tasks) for a unary answer when a turn among
    /// <see cref="HeraldOptions.MaxConcurrentTaskSnapshots"/> is free; requests beyond that queue.
    /// </summary>
    public async ValueTask<T> BuildAsync<T>(Func<CancellationToken, ValueTask<T>> build, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        await _snapshots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await build(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _snapshots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _snapshots.Dispose();

    private bool TryTake(long bytes)
    {
        while (true)
        {
            var current = Volatile.Read(ref _inFlight);
            var next = current + bytes;
            if (next > _capacity && current > 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, next, current) == current)
            {
                return true;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
